"""A dry run: a model run on its datasets' mock tables, everything shown to its author at once.

DESIGN.md, trust boundary 4: a dry run is the exception to the release boundary, because
it reads no real row, charges nothing and is reviewed by nobody. It is checked like a job
(:func:`sandbox.jobs.submission.check_request`: a user account holding an active grant that
covers every dataset and the kind, the policy's kinds, the model's parameters), so the mock
tables of a dataset the user holds no grant on stay as public as its synthetic preview:
100 rows of the dictionary, not a run of arbitrary code over a full mock under its policy.
Then, synchronously (a mock of :data:`~sandbox.catalog.mock.MOCK_ROWS` rows takes the DP
engine milliseconds; the run is bounded by the policy's wall time like a job's):

1. each dataset's mock table is generated from its data dictionary alone
   (:mod:`sandbox.catalog.mock`) into a private store (:class:`~.mock_data.MockData`);
2. the model runs in the same backend registry, with the same ``run_model``, limits,
   import allow-list and log and result caps as a real job of the same request; a
   raw-access run gets the mock tables as its ``ctx.table`` inputs, written as a job's;
3. its DP calls are answered by the trusted query engine itself over the mock tables
   (:class:`~.mock_data.MockQueryEngine`), noise and row-count rules applied as they would
   be, charged to a throwaway in-memory ledger whose grant accounts start at what the grant
   has left (so a call the grant could not pay is refused as in a job; the dataset's
   lifetime budget is not consulted, and never shown);
4. a result is checked by the release checks as :mod:`sandbox.jobs.checking` checks a job's
   (differencing against earlier releases aside: those compare real outputs), report only.

The author gets the whole outcome: result, log, error text with its line, the calls made
and refused, what the model would spend per dataset, and what the checks would decide. No
job is stored; the run is audited as ``job.dry_run`` (no ``budget.charge``, no read of a
version).
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import audit, policy_store
from sandbox.access.model import JobKind
from sandbox.disclosure import check_result, input_values
from sandbox.errors import NotFound
from sandbox.identity.model import Actor
from sandbox.jobs.broker import BudgetRefusal, answer_of, release_of
from sandbox.jobs.checking import raw_input_values
from sandbox.jobs.limits import combine_row_count, runtime_limits
from sandbox.jobs.mock_data import MockData, MockHelpers, MockQueryEngine
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.jobs.runner import failure_reason
from sandbox.jobs.submission import CheckedRequest, JobRequest, check_request, choose_backend
from sandbox.jobs.tables import write_tables
from sandbox.jobs.visibility import model_error_facts
from sandbox.ledger import InMemoryLedger, SqlLedger
from sandbox.platform import Platform
from sandbox.policies import Policy, ReviewMode
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.runtime.backends import Backend, BackendRegistry, default_registry
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.compiler import compile_model
from sandbox.runtime.executor import BrokerRefusal, ModelOutcome, RunStatus, run_model
from sandbox.runtime.vetted import VettedModels
from sandbox.store.db import transaction

__all__ = ["DryRun", "DryRunChecks", "dry_run", "mock_ledger"]


@dataclass(frozen=True)
class DryRunChecks:
    """What the release checks would decide of a dry run's result (report only).

    Attributes:
        would_be: The state a job with this result would move to: ``released`` (a DP
            result every dataset's policy releases automatically), ``pending_review`` or
            ``rejected`` (a blocking check failed).
        report: The checks' report (:meth:`~sandbox.disclosure.CheckReport.to_dict`).
        released: The result as it would be released (the platform's rounding and
            redaction applied).
    """

    would_be: JobState
    passed: bool
    auto_releasable: bool
    report: dict[str, Any]
    released: Any


@dataclass(frozen=True)
class DryRun:
    """A dry run's whole outcome, for its author (nothing of it is held)."""

    id: str
    kind: JobKind
    grant: str
    datasets: dict[str, int]
    """Each dataset's latest version number, which its mock stands in for."""
    mock: dict[str, dict[str, Any]]
    """Per dataset: the mock table's ``rows`` and ``seed``."""
    model: str | None
    description: str
    source_sha256: str
    params: dict[str, Any]
    backend: str
    limits: dict[str, Any]
    outcome: RunOutcome
    reason: str
    """The platform's words for a run that did not end well (empty when it did)."""
    result: Any
    log: list[str]
    log_truncated: bool
    errors: list[str]
    failure: dict[str, Any] | None
    releases: list[dict[str, Any]]
    refusals: list[dict[str, str]]
    spend: dict[str, dict[str, Any]]
    """Per dataset: what the model's DP calls would be charged (``loss``, ``delta``, its
    ``accounting`` and the exact ``text``), the ``calls`` charged and what the grant would
    have left (``grant_remaining``)."""
    checks: DryRunChecks | None
    """``None`` unless the run returned a result."""
    duration: float
    charged: bool = False
    """Always false: a dry run charges no budget."""


class DryRunBroker:
    """Answers a dry run's DP calls on the mock engine, keeping its releases and refusals."""

    def __init__(self, engine: MockQueryEngine, datasets: list[str], run_id: str) -> None:
        self._engine = engine
        self._datasets = tuple(datasets)
        self._run_id = run_id
        self.releases: list[dict[str, Any]] = []
        self.refusals: list[dict[str, str]] = []

    def __call__(self, request: DPRequest) -> Any:
        """Answer one DP call, or raise :class:`BrokerRefusal` as a job's broker would."""
        try:
            if request.dataset not in self._datasets:
                raise BrokerRefusal(f"dataset {request.dataset!r} is not one of this job's "
                                    f"datasets ({', '.join(self._datasets)})")
            release = release_of(self._engine, request, f"dry run {self._run_id}")
        except BudgetRefusal:
            self.refusals.append({"call": request.call.value, "reason": "budget"})
            raise
        except BrokerRefusal:
            self.refusals.append({"call": request.call.value, "reason": "refused"})
            raise
        self.releases.append(release.report.to_dict())
        return answer_of(release)


def mock_ledger(platform: Platform, grant: str, datasets: list[str]) -> InMemoryLedger:
    """A throwaway ledger whose accounts of ``grant`` start at what the grant has left.

    The dataset's lifetime account is opened with the same remainder as the grant's, so it
    never refuses first: a dry run neither consults nor tells the lifetime budget. A grant
    without an account on a dataset gets none here either (a job's call would be refused).
    """
    real = SqlLedger(platform.sessions)
    ledger = InMemoryLedger()
    for name in datasets:
        try:
            account = real.account(name, grant)
        except NotFound:
            continue
        ledger.open_dataset_account(name, account.remaining, account.accounting)
        ledger.open_grant_account(grant, name, account.remaining, account.accounting)
    return ledger


def _spend(ledger: InMemoryLedger, grant: str, policies: Mapping[str, Policy]
           ) -> dict[str, dict[str, Any]]:
    spend: dict[str, dict[str, Any]] = {}
    for name, policy in policies.items():
        accounting = policy.accounting or Accounting.PURE
        charges = ledger.charges(grant=grant, dataset=name)
        total = sum((c.cost for c in charges), PrivacyCost.zero())
        entry: dict[str, Any] = {
            "accounting": accounting.value, "loss": float(total.loss),
            "delta": float(total.delta), "text": total.describe(accounting),
            "calls": len(charges)}
        try:
            left = ledger.account(name, grant).remaining
            entry["grant_remaining"] = left.describe(accounting)
        except NotFound:
            entry["grant_remaining"] = None
        spend[name] = entry
    return spend


def _checks(platform: Platform, checked: CheckedRequest, policies: Mapping[str, Policy],
            outcome: ModelOutcome, releases: list[dict[str, Any]],
            helpers: MockHelpers | None) -> DryRunChecks:
    """The release checks on the mock result, as :func:`sandbox.jobs.checking.run_checks`
    runs them on a job's, without moving anything.
    """
    if helpers is None:
        values = input_values(None, (), ())
    else:
        with platform.sessions() as session:
            values = raw_input_values(session, checked.datasets, helpers)
    released, report = check_result(
        outcome.value, verified=helpers.outputs if helpers is not None else {},
        rules=combine_row_count(policies.values()),
        max_bytes=int(checked.limits["result_bytes"]), input_values=values, earlier=(),
        kind=str(checked.kind), dp_releases=releases)
    auto = all(p.review_mode is ReviewMode.AUTO_DP for p in policies.values())
    if report.blocked:
        would_be = JobState.REJECTED
    elif checked.kind is JobKind.DP and auto and report.auto_releasable:
        would_be = JobState.RELEASED
    else:
        would_be = JobState.PENDING_REVIEW
    return DryRunChecks(would_be=would_be, passed=not report.blocked,
                        auto_releasable=report.auto_releasable, report=report.to_dict(),
                        released=released)


@dataclass
class _Run:
    outcome: ModelOutcome
    broker: DryRunBroker | None
    helpers: MockHelpers | None
    ledger: InMemoryLedger


def _execute(platform: Platform, actor: Actor, checked: CheckedRequest,
             policies: Mapping[str, Policy], backend: Backend, mock: MockData,
             inputs: Path, run_id: str) -> _Run:
    limits = checked.limits
    ledger = mock_ledger(platform, checked.grant.ref, checked.datasets)
    compiled = compile_model(checked.source, limits["allowed_imports"])
    if not compiled.ok:
        outcome = ModelOutcome(status=RunStatus.COMPILE_ERROR, backend=backend.name,
                               errors=list(compiled.errors))
        return _Run(outcome, None, None, ledger)
    engine = MockQueryEngine(platform, mock, ledger, grant=checked.grant.ref,
                             policy=policies, actor=actor)
    broker = DryRunBroker(engine, checked.datasets, run_id)
    raw = checked.kind is JobKind.RAW
    helpers = MockHelpers(platform, mock) if raw else None
    tables = write_tables(mock.tables(), inputs) if raw else {}
    outcome = run_model(
        backend, checked.source, broker, params=checked.params,
        allowed_imports=limits["allowed_imports"], limits=runtime_limits(limits),
        log_max_bytes=int(limits["log_bytes"]), result_max_bytes=int(limits["result_bytes"]),
        inputs=inputs if tables else None, tables=tables, helpers=helpers)
    return _Run(outcome, broker, helpers, ledger)


def dry_run(platform: Platform, actor: Actor, request: JobRequest, *, models: VettedModels,
            registry: BackendRegistry | None = None) -> DryRun:
    """Run ``request``'s model on its datasets' mock tables (see the module docstring).

    Raises:
        PermissionDenied: The caller is not a user account, or holds no grant covering it.
        InvalidRequest: The request, the model's parameters or the backend are unfit (a
            model that does not compile is a dry run's outcome, not a refusal).
    """
    with platform.sessions() as session:
        checked = check_request(session, actor, request, models=models)
        policies = policy_store.effective_under_grant(session, checked.grant.id,
                                                      checked.datasets)
    backend = choose_backend(registry or default_registry(), platform.settings.runtime_backend,
                             checked.kind)
    run_id = uuid.uuid4().hex[:16]
    with tempfile.TemporaryDirectory(prefix="sandbox-dry-run-") as scratch:
        (Path(scratch) / "store").mkdir()
        (Path(scratch) / "inputs").mkdir()
        mock = MockData.write(platform, checked.datasets, platform.settings.mock_rows,
                              Path(scratch) / "store")
        try:
            run = _execute(platform, actor, checked, policies, backend, mock,
                           Path(scratch) / "inputs", run_id)
        except Exception:
            _audit(platform, actor, checked, run_id, backend, mock, RunOutcome.CRASHED, {})
            raise
        checks = None
        if run.outcome.status is RunStatus.OK:
            checks = _checks(platform, checked, policies, run.outcome,
                             run.broker.releases if run.broker else [], run.helpers)
    outcome = RunOutcome(run.outcome.status)
    spend = _spend(run.ledger, checked.grant.ref, policies)
    _audit(platform, actor, checked, run_id, backend, mock, outcome, spend)
    return DryRun(
        id=run_id, kind=checked.kind, grant=checked.grant.ref,
        datasets={name: m.version for name, m in mock.versions.items()},
        mock={name: {"rows": m.table.num_rows, "seed": m.seed}
              for name, m in mock.versions.items()},
        model=checked.model_name, description=checked.info.description or "",
        source_sha256=_sha256(checked.source), params=checked.params, backend=backend.name,
        limits=checked.limits, outcome=outcome,
        reason="" if outcome is RunOutcome.OK else failure_reason(outcome, checked.limits),
        result=run.outcome.value, log=list(run.outcome.log),
        log_truncated=run.outcome.log_truncated, errors=list(run.outcome.errors),
        failure=(model_error_facts(list(run.outcome.errors), checked.source)
                 if outcome is RunOutcome.MODEL_ERROR else None),
        releases=run.broker.releases if run.broker else [],
        refusals=run.broker.refusals if run.broker else [], spend=spend, checks=checks,
        duration=run.outcome.duration)


def _sha256(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _audit(platform: Platform, actor: Actor, checked: CheckedRequest, run_id: str,
           backend: Backend, mock: MockData, outcome: RunOutcome,
           spend: Mapping[str, Mapping[str, Any]]) -> None:
    """Record the dry run: what ran on which mocks, how it ended, what it would spend."""
    with transaction(platform.sessions) as session:
        audit.record(session, actor, "job.dry_run", object_type="dry_run", object_id=run_id,
                     detail={"datasets": {n: m.version for n, m in mock.versions.items()},
                             "mock_rows": {n: m.table.num_rows
                                           for n, m in mock.versions.items()},
                             "kind": str(checked.kind), "grant": checked.grant.ref,
                             "model": checked.model_name,
                             "source_sha256": _sha256(checked.source),
                             "backend": backend.name, "outcome": str(outcome),
                             "would_spend": {n: s["text"] for n, s in spend.items()},
                             "charged": False})
