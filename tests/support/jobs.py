"""Job orchestration in the test process: a fake runtime, the in-memory ledger and a
synchronous dispatcher around the real job functions.

The end-to-end job tests run a live server, a Ray head and the strongest sandbox. These
helpers keep everything the platform decides (submission checks, transitions, recovery, run
outcomes, output checks, review decisions) and replace only what runs elsewhere:

- :class:`FakeBackend` is an isolation backend whose "runs" are Python functions of the
  test (:data:`Script`): no sandbox process starts. The runner's call to
  :func:`sandbox.runtime.executor.run_model` is routed to it (:func:`run_in_fake`), with
  the same arguments, so the model's DP calls still go through the job's real broker;
- the broker charges an :class:`~sandbox.ledger.InMemoryLedger` holding the same accounts
  as the SQL ledger the grants opened, so a test reads every charge without SQL;
- :class:`SyncDispatcher` does the dispatcher's job without Ray: it recovers what is
  unfinished and runs every queued job to the end of its run, here and now.

A :class:`JobBench` is one such platform on SQLite with its accounts, datasets, policies and
active grants. Building one takes a second, so it is built once per session
(:func:`build_template`) and every test gets a copy of its directory (:func:`open_bench`).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from sandbox.access import applications, grants
from sandbox.access.model import ApplicationDraft
from sandbox.catalog.parsing import parse_metadata
from sandbox.config import Settings
from sandbox.datasets import registry
from sandbox.identity import service
from sandbox.identity.model import Actor, EligibilityFact, OrganisationKind, Role
from sandbox.jobs import broker as broker_module
from sandbox.jobs import runner as runner_module
from sandbox.jobs import service as job_service
from sandbox.jobs.dispatcher import recover_jobs
from sandbox.jobs.model import Job, JobState
from sandbox.jobs.runner import run_job
from sandbox.jobs.submission import JobRequest
from sandbox.ledger import InMemoryLedger
from sandbox.ledger import sql as ledger_sql
from sandbox.platform import Platform
from sandbox.policy_store import set_dataset_policy
from sandbox.runtime.backends import GUARANTEES, BackendRegistry, Launch, Limits
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import Broker, Helpers, ModelOutcome, RunStatus
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.vetted import VettedModels
from sandbox.store.db import transaction
from sandbox.store.models import JobRow
from tests.support.datafiles import metadata, people_table
from tests.support.factories import pass_review

# --- the fake runtime ---------------------------------------------------------------------


@dataclass
class ModelRun:
    """One run as the runner asked for it (the arguments of ``run_model``)."""

    source: str
    broker: Broker
    params: dict[str, Any]
    helpers: Helpers | None
    stop: threading.Event | None
    tables: dict[str, str]
    limits: Limits | None

    def dp(self, call: str, dataset: str, *, group_by: Sequence[str] = (), **args: Any) -> Any:
        """One DP call through the job's broker, as the worker would send it."""
        return self.broker(
            DPRequest(
                call=call,  # type: ignore[arg-type]  # coerced
                dataset=dataset,
                args=args,
                group_by=tuple(group_by),
            )
        )

    def helper(self, call: str, dataset: str, **args: Any) -> Any:
        """One raw-access helper call (``ctx.crosstab``, ``ctx.regression``)."""
        assert self.helpers is not None, "only a raw-access job has helpers"
        return self.helpers({"op": "sdc", "call": call, "dataset": dataset, "args": args})


Script = Callable[[ModelRun], ModelOutcome]
"""What a fake model does with its run, and how the run ends."""


def finished(value: Any, *log: str) -> ModelOutcome:
    """A run that returned ``value``."""
    return ModelOutcome(
        status=RunStatus.OK,
        backend=FakeBackend.name,
        value=value,
        log=list(log),
        exit_code=0,
        duration=0.01,
    )


def ended(status: RunStatus, *errors: str) -> ModelOutcome:
    """A run that ended without a result (``status`` and the runtime's error lines)."""
    return ModelOutcome(
        status=status, backend=FakeBackend.name, errors=list(errors), exit_code=1, duration=0.01
    )


class FakeBackend:
    """An isolation backend whose runs are scripts of the test: no process, no sandbox.

    It claims every guarantee and raw access, so submission picks it (it is the strongest)
    for every kind of job; a test that wants a backend's refusal uses a real registry.
    """

    name = "fake"
    strength = 1_000
    enforces = frozenset(GUARANTEES)
    allows_raw_access = True
    profiles = frozenset(RuntimeProfile)

    def __init__(self) -> None:
        self.scripts: dict[str, Script] = {}
        self.runs: list[ModelRun] = []

    def is_available(self) -> bool:
        return True

    def wrap(self, *args: Any, **kwargs: Any) -> Launch:
        raise AssertionError("the fake backend starts no process: run_model is routed to it")

    def run(self, run: ModelRun) -> ModelOutcome:
        """Run the script registered for the run's source."""
        self.runs.append(run)
        return self.scripts[run.source](run)


def run_in_fake(
    backend: Any,
    source: str,
    broker: Broker,
    *,
    params: Mapping[str, Any] | None = None,
    limits: Limits | None = None,
    stop: threading.Event | None = None,
    tables: Mapping[str, str] | None = None,
    helpers: Helpers | None = None,
    **_rest: Any,
) -> ModelOutcome:
    """Stands in for :func:`sandbox.runtime.executor.run_model` in the runner."""
    assert isinstance(backend, FakeBackend), f"a {backend.name} run in the fake runtime"
    return backend.run(
        ModelRun(
            source=source,
            broker=broker,
            params=dict(params or {}),
            helpers=helpers,
            stop=stop,
            tables=dict(tables or {}),
            limits=limits,
        )
    )


def source_of(title: str, body: str = "    return 1\n") -> str:
    """A model source that passes submission (docstring, ``run(ctx)``, compiles)."""
    return f'"""{title}."""\n\n\ndef run(ctx):\n{body}'


# --- the synchronous dispatcher -----------------------------------------------------------


class SyncDispatcher:
    """The dispatcher's job, without Ray: recover, then run every queued job to its end.

    ``notify`` (what submission calls) runs the queue at once, so a job submitted through
    :func:`sandbox.jobs.service.submit` has run when the call returns.
    """

    def __init__(self, platform: Platform, registry: BackendRegistry) -> None:
        self._platform = platform
        self._registry = registry
        self.paused = False
        """While true, ``notify`` leaves the queue alone (to look at queued jobs)."""

    def start(self) -> dict[str, int]:
        """What the real dispatcher does at start: recover, then dispatch."""
        counts = recover_jobs(self._platform)
        self.drain()
        return counts

    def notify(self) -> None:
        if not self.paused:
            self.drain()

    def drain(self) -> list[int]:
        """Run every queued job, oldest first, until none is queued; return their ids."""
        ran: list[int] = []
        while True:
            with self._platform.sessions() as session:
                queued = list(
                    session.execute(
                        select(JobRow.id).where(JobRow.state == JobState.QUEUED).order_by(JobRow.id)
                    ).scalars()
                )
            fresh = [job_id for job_id in queued if job_id not in ran]
            if not fresh:
                return ran
            for job_id in fresh:
                run_job(self._platform, job_id, self._registry)
                ran.append(job_id)


# --- the bench ----------------------------------------------------------------------------

DATASETS: dict[str, dict[str, Any]] = {
    "people": {},
    "people_auto": {"review": {"mode": "auto_dp"}},
    "people_two": {"review": {"reviewers": 2}},
    "people_raw": {"job_limits": {"raw_access_allowed": True}},
}
"""The bench's conditional datasets (60 people each) and their provider policies."""

GRANTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "dp": ("user", ("people", "people_auto", "people_two"), ("dp",)),
    "raw": ("user", ("people_raw",), ("dp", "raw")),
    "other": ("user2", ("people",), ("dp",)),
}
"""Active grants by key: holder, datasets, job kinds."""

GRANT_BUDGET = 5
"""Each grant's budget (epsilon) on each of its datasets."""


@dataclass(frozen=True)
class BenchTemplate:
    """A built bench's directory and what was made in it."""

    var_dir: Path
    actors: dict[str, Actor]
    grants: dict[str, str]
    """Grant key (:data:`GRANTS`): its reference."""


def _settings(var_dir: Path) -> Settings:
    """Everything under ``var_dir`` (given explicitly, so no ``SANDBOX_*`` variable counts)."""
    return Settings(
        var_dir=var_dir,
        database_url="",
        data_uri="",
        import_roots=[],
        ray_address="",
        runtime_backend="",
        audit_key_path=None,
        audit_anchor_path=None,
    )


def _accounts(platform: Platform) -> dict[str, Actor]:
    system = Actor.system()
    with transaction(platform.sessions) as session:
        health = service.create_organisation(
            session, system, name="Health Bureau", kind=OrganisationKind.PROVIDER
        )
        institute = service.create_organisation(
            session, system, name="Research Institute", kind=OrganisationKind.USER
        )
        plan = (
            ("provider", Role.PROVIDER, health.id),
            ("reviewer", Role.REVIEWER, health.id),
            ("reviewer2", Role.REVIEWER, health.id),
            ("user", Role.USER, institute.id),
            ("user2", Role.USER, institute.id),
            ("authority", Role.AUTHORITY, None),
            ("auditor", Role.AUDITOR, None),
            ("admin", Role.ADMIN, None),
        )
        actors = {}
        for username, role, org_id in plan:
            user = service.create_user(
                session, system, username=username, role=role, organisation_id=org_id
            )
            actors[username] = Actor(user.id, username, role, org_id)
        for holder in ("user", "user2"):
            for fact, value in (
                (EligibilityFact.REAL_NAME_VERIFIED, "yes"),
                (EligibilityFact.CREDIT_STANDING, "good"),
            ):
                user_id = actors[holder].user_id
                assert user_id is not None
                service.set_eligibility(
                    session, actors["authority"], user_id, fact=fact, value=value
                )
    return actors


def _register(platform: Platform, provider: Actor, name: str, table: pa.Table) -> None:
    root = Path(platform.settings.resolved_import_roots()[0])
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, root / f"{name}.parquet")
    registry.register_dataset(
        platform,
        provider,
        parse_metadata(metadata(name)),
        registry.DataSource(path=str(root / f"{name}.parquet")),
    )
    pass_review(platform, name)


def _grant(
    platform: Platform,
    actors: dict[str, Actor],
    holder: str,
    datasets: tuple[str, ...],
    kinds: tuple[str, ...],
) -> str:
    calendar = platform.calendar
    today = calendar.local_date(datetime.now(UTC))
    draft = ApplicationDraft(
        title="Bench study",
        reason="tests",
        kind="dataset",
        datasets=datasets,
        period_start=today,
        period_end=today + timedelta(days=60),
        results_form="tables",
        scenario="s",
        security_measures="m",
        commitment_signed=True,
    )
    with transaction(platform.sessions) as s:
        made = applications.submit_application(s, actors[holder], calendar, draft)
        applications.form_review(s, actors["authority"], calendar, made.id, passed=True)
        decided = applications.decide(
            s,
            actors["provider"],
            calendar,
            made.id,
            approve=True,
            scope=grants.Scope(grant_budget=GRANT_BUDGET, job_kinds=kinds),
        )
        assert decided.grant_id is not None
        agreement = platform.agreement
        active = grants.accept(
            s, actors[holder], agreement, decided.grant_id, version=agreement.version
        )
    return active.ref


def build_template(var_dir: Path) -> BenchTemplate:
    """Build a bench in ``var_dir``: accounts, :data:`DATASETS` with their policies, and
    :data:`GRANTS` accepted (their SQL ledger accounts open)."""
    platform = Platform.open(_settings(var_dir))
    try:
        actors = _accounts(platform)
        for name, policy in DATASETS.items():
            _register(platform, actors["provider"], name, people_table(60))
            if policy:
                with transaction(platform.sessions) as s:
                    set_dataset_policy(s, actors["provider"], name, policy)
        refs = {
            key: _grant(platform, actors, holder, datasets, kinds)
            for key, (holder, datasets, kinds) in GRANTS.items()
        }
    finally:
        platform.close()
    return BenchTemplate(var_dir, actors, refs)


def _mirror_ledger(platform: Platform, refs: Mapping[str, str]) -> InMemoryLedger:
    """An in-memory ledger with the accounts (and limits) the SQL ledger holds."""
    memory = InMemoryLedger()
    with platform.sessions() as session:
        for key, ref in refs.items():
            for dataset in GRANTS[key][1]:
                lifetime = ledger_sql.account(session, dataset=dataset)
                memory.open_dataset_account(dataset, lifetime.limit, lifetime.accounting)
                held = ledger_sql.account(session, dataset=dataset, grant=ref)
                memory.open_grant_account(ref, dataset, held.limit, held.accounting)
    return memory


@dataclass
class JobBench:
    """A platform whose jobs run in the fake runtime, charged to the in-memory ledger."""

    platform: Platform
    actors: dict[str, Actor]
    grants: dict[str, str]
    backend: FakeBackend
    registry: BackendRegistry
    ledger: InMemoryLedger
    dispatcher: SyncDispatcher
    models: VettedModels = field(init=False)

    def __post_init__(self) -> None:
        self.models = VettedModels(self.platform.settings.algorithms_dir)

    def model(self, title: str, script: Script, body: str = "    return 1\n") -> str:
        """A model source whose runs do what ``script`` says; return the source."""
        source = source_of(title, body)
        self.backend.scripts[source] = script
        return source

    def submit(
        self,
        who: str,
        datasets: Sequence[str],
        source: str,
        *,
        kind: str = "dp",
        grant: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Job:
        """Submit and queue a job as ``who`` (the dispatcher runs it unless paused)."""
        request = JobRequest(
            datasets=list(datasets),
            kind=kind,
            source=source,
            params=dict(params or {}),
            grant=self.grants[grant] if grant else None,
        )
        return job_service.submit(
            self.platform,
            self.actors[who],
            request,
            models=self.models,
            registry=self.registry,
            notify=self.dispatcher.notify,
        )

    def row(self, job_id: int) -> JobRow:
        """A fresh, detached copy of the job's row."""
        with self.platform.sessions() as session:
            row = session.get(JobRow, job_id)
            assert row is not None
            session.expunge(row)
            return row

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A transaction on the bench's database."""
        with transaction(self.platform.sessions) as session:
            yield session


def open_bench(
    template: BenchTemplate, var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JobBench]:
    """A fresh copy of ``template`` in ``var_dir``, with the fake runtime and the in-memory
    ledger patched into the runner and the broker for as long as the bench is open."""
    shutil.copytree(template.var_dir, var_dir)
    platform = Platform.open(_settings(var_dir))
    backend = FakeBackend()
    registry = BackendRegistry()
    registry.register(backend.name, lambda: backend)
    memory = _mirror_ledger(platform, template.grants)
    monkeypatch.setattr(runner_module, "run_model", run_in_fake)
    monkeypatch.setattr(broker_module, "SqlLedger", lambda _sessions, **_guard: memory)
    try:
        yield JobBench(
            platform,
            dict(template.actors),
            dict(template.grants),
            backend,
            registry,
            memory,
            SyncDispatcher(platform, registry),
        )
    finally:
        platform.close()
