"""Running one job, on the trusted side of its sandbox (inside a Ray task).

:func:`run_job` takes a ``queued`` job, moves it to ``running`` (committed before the sandbox
starts), runs the model in the job's backend with a :class:`~sandbox.jobs.broker.JobBroker`
answering its DP calls, and records how it ended. While the model runs a watcher polls the
job's ``cancel_requested`` flag (set by a cancel or a suspension of its dataset) and its
state, and stops the sandbox on a cancel or once the job is no longer ``running`` (a
recovery failed it meanwhile: its outcome is then dropped). The sandbox is labelled with the
platform instance and the job (:func:`sandbox_instance`), so that the dispatcher can remove
it should this runner be killed. A job that ran to the end moves to ``checking`` and on
through the output checks (:mod:`sandbox.jobs.checking`); any other outcome is ``failed`` with
a reason written by the platform, never one that quotes the model's data.

The budget a job's DP calls spent stays spent whatever happens after: each call was charged
once, before it was computed, and a job is never run twice.

Run by a dispatcher, the runner works under its lease (``owner``, :mod:`sandbox.jobs.leases`):
it starts only a job its dispatcher claimed, each DP charge checks in its own transaction
that the job is still ``running`` and still that owner's (so a job another process failed
after taking it over is never charged after), and it drops its outcome once the job is not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sandbox.access.model import JobKind
from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.errors import DamagedVersion
from sandbox.identity.model import Actor, Role
from sandbox.jobs import checking
from sandbox.jobs.broker import JobBroker
from sandbox.jobs.helpers import RawHelpers
from sandbox.jobs.intact import ensure_inputs_intact
from sandbox.jobs.leases import charge_guard
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.limits import runtime_limits
from sandbox.jobs.log_entries import log_progress
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.jobs.tables import write_inputs
from sandbox.jobs.visibility import model_error_facts
from sandbox.platform import Platform
from sandbox.runtime.backends import Backend, BackendRegistry, SandboxOwner, default_registry
from sandbox.runtime.executor import ModelOutcome, RunStatus, run_model
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.warm import shared_pool
from sandbox.store.db import transaction
from sandbox.store.models import JobRow, UserRow

__all__ = ["failure_reason", "run_job", "sandbox_instance"]

log = logging.getLogger(__name__)

MAX_REFUSALS_KEPT = 20
"""The last refused DP calls a job's progress keeps."""

POLL_SECONDS = 0.2
"""How often a running job's cancel flag is read."""


@dataclass(frozen=True)
class _Snapshot:
    """What the runner needs of the job once it is running (read in one transaction)."""

    id: int
    kind: JobKind
    backend: str
    profile: RuntimeProfile
    source: str
    params: dict[str, Any]
    limits: dict[str, Any]
    datasets: dict[str, int]
    row: JobRow
    """The job's row as it started (detached: for the broker, read-only)."""
    owner: Actor
    """The job's author, read in the same transaction."""


def failure_reason(outcome: str, limits: dict[str, Any]) -> str:
    """The platform's words for a run that did not end well (no data value in them)."""
    reasons = {
        RunOutcome.COMPILE_ERROR: "the model does not compile",
        RunOutcome.MODEL_ERROR: "the model raised an error",
        RunOutcome.TIMED_OUT: (
            f"the job exceeded its time limit ({limits.get('wall_seconds')} "
            f"s wall, {limits.get('cpu_seconds')} s CPU)"
        ),
        RunOutcome.OOM: f"the job ran out of memory (limit {limits.get('memory_mb')} MiB)",
        RunOutcome.OUTPUT_TOO_LARGE: (
            f"the result is larger than the limit of {limits.get('result_bytes')} bytes"
        ),
        RunOutcome.CRASHED: "the sandbox stopped unexpectedly",
        RunOutcome.INTERRUPTED: "the platform stopped while the job ran",
    }
    return reasons.get(RunOutcome(outcome), f"the job ended with {outcome}")


def sandbox_instance(settings: Settings) -> str:
    """The platform instance a job's sandbox is labelled with: one per database.

    Every process of one platform (the API servers, the Ray workers running its jobs)
    computes the same name from its settings, and another platform sharing the Docker
    engine (another database) a different one, so the dispatcher removes only sandboxes
    of its own jobs. The database URL is hashed without its password.
    """
    url = make_url(settings.resolved_database_url()).set(password=None)
    rendered = url.render_as_string(hide_password=False)
    return hashlib.sha256(rendered.encode("utf-8")).hexdigest()[:16]


def _ours(row: JobRow | None, owner: str | None) -> bool:
    """Whether the job is (still) under ``owner``'s lease; without an owner, always."""
    return row is not None and (owner is None or row.lease_owner == owner)


def _start(platform: Platform, job_id: int, owner: str | None) -> _Snapshot | None:
    with transaction(platform.sessions) as session:
        row = session.get(JobRow, job_id, with_for_update=True)
        if row is None or row.state != JobState.QUEUED or not _ours(row, owner):
            return None  # cancelled meanwhile, or another dispatcher took it
        if row.cancel_requested:
            move(
                session,
                row,
                JobState.CANCELLED,
                platform_actor(),
                reason=row.state_reason or "cancelled before it ran",
            )
            return None
        row.attempt += 1
        move(
            session,
            row,
            JobState.RUNNING,
            platform_actor(),
            detail={"backend": row.backend, "attempt": row.attempt},
        )
        author = session.get(UserRow, row.owner_id)
        assert author is not None
        return _Snapshot(
            row=row,
            owner=Actor(author.id, author.username, Role(author.role), author.organisation_id),
            id=row.id,
            kind=JobKind(row.kind),
            backend=row.backend,
            profile=RuntimeProfile(row.profile),
            source=row.source,
            params=dict(row.params),
            limits=dict(row.limits),
            datasets=dict(row.datasets),
        )


def _watch(
    platform: Platform,
    job_id: int,
    owner: str | None,
    stop: threading.Event,
    done: threading.Event,
) -> None:
    """Stop the sandbox on a cancel, or once the job is no longer ``running`` or no longer
    ``owner``'s: then it was settled without this runner (another process took it over and
    failed it), and nothing the sandbox still does counts.
    """
    while not done.wait(POLL_SECONDS):
        try:
            with platform.sessions() as session:
                found = session.execute(
                    select(JobRow.state, JobRow.lease_owner, JobRow.cancel_requested).where(
                        JobRow.id == job_id
                    )
                ).first()
            if (
                found is None
                or (owner is not None and found.lease_owner != owner)
                or found.cancel_requested
                or found.state != JobState.RUNNING
            ):
                stop.set()
                return
        except Exception:  # a database hiccup must not kill the job; try again
            log.exception("job %s: reading the cancel flag failed", job_id)


def _record_release(platform: Platform, job_id: int) -> Callable[[dict[str, Any]], None]:
    def record(report: dict[str, Any]) -> None:
        with transaction(platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None:
                return
            row.releases = [*row.releases, report]
            row.progress = {**row.progress, "dp_calls": len(row.releases)}
            row.updated_at = utc_now()

    return record


def _record_refusal(platform: Platform, job_id: int) -> Callable[[dict[str, str]], None]:
    """Keep each refused DP call in the job's progress: a platform fact its author sees
    (not once the job is final: then its facts are settled).
    """

    def record(refusal: dict[str, str]) -> None:
        with transaction(platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            if row is None or JobState(row.state).is_final:
                return
            refusals = [*row.progress.get("refusals", []), refusal][-MAX_REFUSALS_KEPT:]
            row.progress = {**row.progress, "refusals": refusals}
            row.updated_at = utc_now()

    return record


def _finish(
    platform: Platform,
    job: _Snapshot,
    outcome: ModelOutcome,
    stopped: bool,
    helpers: RawHelpers | None,
    owner: str | None,
) -> None:
    status = RunOutcome(outcome.status)  # the runtime's statuses are a subset of the job's
    with transaction(platform.sessions) as session:
        row = session.get(JobRow, job.id, with_for_update=True)
        assert row is not None
        if row.state != JobState.RUNNING or not _ours(row, owner):  # settled without us
            log.warning(
                "job %s was %s before its run ended; its outcome is dropped", job.id, row.state
            )
            return
        row.outcome = str(status)
        row.log = list(outcome.log)
        row.errors = list(outcome.errors)
        row.duration = outcome.duration
        row.progress = {**row.progress, **log_progress(len(outcome.log), outcome.log_truncated)}
        if status is RunOutcome.MODEL_ERROR:
            facts = model_error_facts(list(outcome.errors), job.source)
            if facts is not None:
                row.progress = {**row.progress, "failure": facts}
        if stopped or row.cancel_requested:
            move(
                session,
                row,
                JobState.CANCELLED,
                platform_actor(),
                reason=row.state_reason or "cancelled while it ran",
            )
            return
        if status is not RunOutcome.OK:
            move(
                session,
                row,
                JobState.FAILED,
                platform_actor(),
                reason=failure_reason(status, job.limits),
                detail={"outcome": str(status)},
            )
            return
        row.result = outcome.value
        canonical = json.dumps(outcome.value, sort_keys=True, separators=(",", ":"))
        row.result_sha256 = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        move(
            session,
            row,
            JobState.CHECKING,
            platform_actor(),
            detail={"result_sha256": row.result_sha256},
        )
        checking.run_checks(session, row, helpers)


def fail_unfinished(session: Session, row: JobRow, reason: str) -> None:
    """Fail a job the platform lost track of (its worker died, the platform restarted)."""
    if JobState(row.state).is_final:
        return
    if row.state == JobState.RUNNING:
        row.outcome = str(RunOutcome.INTERRUPTED)
    move(session, row, JobState.FAILED, platform_actor(), reason=reason)


def _run(
    platform: Platform, job: _Snapshot, backend: Backend, owner: str | None
) -> tuple[ModelOutcome, bool, RawHelpers | None]:
    stop, done = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=_watch,
        args=(platform, job.id, owner, stop, done),
        name=f"job-{job.id}-watch",
        daemon=True,
    )
    watcher.start()
    broker = JobBroker(
        platform,
        job.row,
        _record_release(platform, job.id),
        _record_refusal(platform, job.id),
        charge_guard=charge_guard(job.id, owner),
        author=job.owner,
    )
    if job.kind is JobKind.DP:  # its first DP call need not wait for the engine
        broker.prepare()
    limits = job.limits
    helpers = RawHelpers(platform, job.datasets) if job.kind is JobKind.RAW else None
    labelled = SandboxOwner(sandbox_instance(platform.settings), job.id)
    try:
        with tempfile.TemporaryDirectory(prefix=f"sandbox-inputs-{job.id}-") as inputs:
            tables: dict[str, str] = {}
            if job.kind is JobKind.RAW:
                tables = write_inputs(platform, job.datasets, Path(inputs))
            outcome = run_model(
                backend,
                job.source,
                broker,
                params=job.params,
                allowed_imports=limits["allowed_imports"],
                limits=runtime_limits(limits),
                log_max_bytes=int(limits["log_bytes"]),
                result_max_bytes=int(limits["result_bytes"]),
                stop=stop,
                inputs=Path(inputs) if tables else None,
                tables=tables,
                helpers=helpers,
                owner=labelled,
                profile=job.profile,
                warm=shared_pool(platform.settings.warm_sandboxes),
            )
    finally:
        done.set()
        watcher.join(timeout=5)
    return outcome, stop.is_set(), helpers


def run_job(
    platform: Platform,
    job_id: int,
    registry: BackendRegistry | None = None,
    *,
    owner: str | None = None,
) -> None:
    """Run a queued job to the end of its run, under ``owner``'s lease when a dispatcher
    claimed it (see the module docstring).
    """
    job = _start(platform, job_id, owner)
    if job is None:
        return
    try:
        backend = (registry or default_registry()).get(job.backend)
    except (KeyError, RuntimeError):
        with transaction(platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            assert row is not None
            move(
                session,
                row,
                JobState.FAILED,
                platform_actor(),
                reason=f"the {job.backend} backend is not available on this worker",
            )
        return
    try:
        ensure_inputs_intact(platform, platform_actor(), job.kind, job.datasets)
    except DamagedVersion as exc:  # before the sandbox: nothing read, nothing charged
        with transaction(platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            assert row is not None
            if row.state == JobState.RUNNING:
                move(session, row, JobState.FAILED, platform_actor(), reason=exc.message)
        return
    _run_and_finish(platform, job, backend, owner)


def _run_and_finish(
    platform: Platform, job: _Snapshot, backend: Backend, owner: str | None
) -> None:
    job_id = job.id
    try:
        outcome, stopped, helpers = _run(platform, job, backend, owner)
    except Exception:
        log.exception("job %s: the runner failed", job_id)
        with transaction(platform.sessions) as session:
            row = session.get(JobRow, job_id, with_for_update=True)
            assert row is not None
            if row.state != JobState.RUNNING:
                return
            row.outcome = str(RunOutcome.CRASHED)
            move(
                session,
                row,
                JobState.FAILED,
                platform_actor(),
                reason="the platform failed while running the job",
            )
        return
    if helpers is not None and outcome.status is RunStatus.OK and not stopped:
        helpers.load_all()
    _finish(platform, job, outcome, stopped, helpers, owner)
