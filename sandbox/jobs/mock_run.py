"""Running a model on mock tables, the part a dry run on the server and a local run share.

Given what a job of the same request would run under (its kind, source, parameters, limits
and effective policies), the mock tables (:class:`~.mock_data.MockData`), the engine over
them and its throwaway ledger, :func:`run_on_mock`:

1. compiles the model in its runtime profile (RestrictedPython under the policy's import
   allow-list, or plain Python in the scientific profile; a model that does not compile is
   an outcome, with its lines, not a refusal);
2. runs it with the runtime's ``run_model`` in ``backend`` and its profile under the job
   limits, its DP calls answered by the engine through the broker's own call path
   (:func:`sandbox.jobs.broker.release_of`), a raw-access run's ``ctx.table`` inputs the
   mock tables written as a job's (:func:`sandbox.jobs.tables.write_tables`) and its
   helpers computed from them;
3. checks a result with :func:`sandbox.disclosure.check_result` as
   :mod:`sandbox.jobs.checking` checks a job's (differencing against earlier releases
   aside: those compare real outputs), report only, and says what a job would become;
4. sums what the engine charged the throwaway ledger per dataset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.access.model import JobKind
from sandbox.disclosure import check_result, input_values
from sandbox.errors import NotFound
from sandbox.jobs.broker import BudgetRefusal, answer_of, release_of
from sandbox.jobs.limits import combine_row_count, runtime_limits
from sandbox.jobs.mock_data import MockData, MockHelpers, MockQueryEngine
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.jobs.runner import failure_reason
from sandbox.jobs.tables import write_tables
from sandbox.jobs.visibility import model_error_facts
from sandbox.ledger import InMemoryLedger
from sandbox.platform import Platform
from sandbox.policies import Policy, ReviewMode
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.compiler import compile_model
from sandbox.runtime.executor import BrokerRefusal, ModelOutcome, RunStatus, run_model
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["DryRun", "DryRunChecks", "MockRunRequest", "compile_errors", "run_on_mock"]


@dataclass(frozen=True)
class MockRunRequest:
    """What a run on mock tables runs under: what a job of the same request would."""

    kind: JobKind
    grant: str
    source: str
    model_name: str | None
    description: str
    params: dict[str, Any]
    limits: dict[str, Any]
    """The job limits of the effective policies (:func:`~sandbox.jobs.limits.combine_limits`)."""
    policies: Mapping[str, Policy]
    """The effective policy of each dataset under the grant."""
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED
    """The runtime profile, one the effective policies allow."""


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
    profile: RuntimeProfile
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

    def _check_allowed(self, dataset: str) -> None:
        """Refuse a dataset (the call's, or one a join opens) that is not one of the run's,
        in a job's broker's words.
        """
        if dataset not in self._datasets:
            raise BrokerRefusal(
                f"dataset {dataset!r} is not one of this job's datasets "
                f"({', '.join(self._datasets)})"
            )

    def __call__(self, request: DPRequest) -> Any:
        """Answer one DP call, or raise :class:`BrokerRefusal` as a job's broker would."""
        try:
            self._check_allowed(request.dataset)
            release = release_of(
                self._engine, request, f"dry run {self._run_id}", allowed=self._check_allowed
            )
        except BudgetRefusal:
            self.refusals.append({"call": request.call.value, "reason": "budget"})
            raise
        except BrokerRefusal:
            self.refusals.append({"call": request.call.value, "reason": "refused"})
            raise
        self.releases.append(release.report.to_dict())
        return answer_of(release)


def spend_of(
    ledger: InMemoryLedger, grant: str, policies: Mapping[str, Policy]
) -> dict[str, dict[str, Any]]:
    """What ``ledger`` charged ``grant`` per dataset, and what the grant has left there."""
    spend: dict[str, dict[str, Any]] = {}
    for name, policy in policies.items():
        accounting = policy.accounting or Accounting.PURE
        charges = ledger.charges(grant=grant, dataset=name)
        total = sum((c.cost for c in charges), PrivacyCost.zero())
        entry: dict[str, Any] = {
            "accounting": accounting.value,
            "loss": float(total.loss),
            "delta": float(total.delta),
            "text": total.describe(accounting),
            "calls": len(charges),
        }
        try:
            left = ledger.account(name, grant).remaining
            entry["grant_remaining"] = left.describe(accounting)
        except NotFound:
            entry["grant_remaining"] = None
        spend[name] = entry
    return spend


def _checks(
    request: MockRunRequest,
    mock: MockData,
    outcome: ModelOutcome,
    releases: list[dict[str, Any]],
    helpers: MockHelpers | None,
) -> DryRunChecks:
    """The release checks on the mock result, as :func:`sandbox.jobs.checking.run_checks`
    runs them on a job's, without moving anything.
    """
    released, report = check_result(
        outcome.value,
        verified=helpers.outputs if helpers is not None else {},
        rules=combine_row_count(request.policies.values()),
        max_bytes=int(request.limits["result_bytes"]),
        input_values=mock.input_values() if helpers is not None else input_values(None, (), ()),
        earlier=(),
        kind=str(request.kind),
        dp_releases=releases,
    )
    auto = all(p.review_mode is ReviewMode.AUTO_DP for p in request.policies.values())
    if report.blocked:
        would_be = JobState.REJECTED
    elif request.kind is JobKind.DP and auto and report.auto_releasable:
        would_be = JobState.RELEASED
    else:
        would_be = JobState.PENDING_REVIEW
    return DryRunChecks(
        would_be=would_be,
        passed=not report.blocked,
        auto_releasable=report.auto_releasable,
        report=report.to_dict(),
        released=released,
    )


def compile_errors(source: str, profile: RuntimeProfile, allowed_imports: list[str]) -> list[str]:
    """What stops the model compiling in its profile, each naming its line (none: it
    compiles): RestrictedPython under the import allow-list, or plain Python in the
    scientific profile, as a job's submission checks it.
    """
    if profile is not RuntimeProfile.SCIENTIFIC:
        return list(compile_model(source, allowed_imports).errors)
    try:
        compile(source, "<model>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return [f"Line {exc.lineno}: SyntaxError: {exc.msg}"]
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        return [str(exc)]
    return []


def run_on_mock(
    platform: Platform,
    request: MockRunRequest,
    mock: MockData,
    engine: MockQueryEngine,
    ledger: InMemoryLedger,
    backend: Backend,
    inputs: Path,
    run_id: str,
) -> DryRun:
    """Run ``request``'s model on ``mock`` (see the module docstring).

    ``engine`` answers the DP calls and charges ``ledger``; ``inputs`` is an empty
    directory for a raw-access run's tables.
    """
    limits = request.limits
    datasets = list(mock.versions)
    broker = DryRunBroker(engine, datasets, run_id)
    helpers: MockHelpers | None = None
    errors = compile_errors(request.source, request.profile, limits["allowed_imports"])
    if errors:
        outcome = ModelOutcome(status=RunStatus.COMPILE_ERROR, backend=backend.name, errors=errors)
    else:
        raw = request.kind is JobKind.RAW
        helpers = MockHelpers(platform, mock) if raw else None
        tables = write_tables(mock.tables(), inputs) if raw else {}
        outcome = run_model(
            backend,
            request.source,
            broker,
            params=request.params,
            allowed_imports=limits["allowed_imports"],
            limits=runtime_limits(limits),
            log_max_bytes=int(limits["log_bytes"]),
            result_max_bytes=int(limits["result_bytes"]),
            inputs=inputs if tables else None,
            tables=tables,
            helpers=helpers,
            profile=request.profile,
        )
    status = RunOutcome(outcome.status)
    checks = (
        _checks(request, mock, outcome, broker.releases, helpers)
        if status is RunOutcome.OK
        else None
    )
    return DryRun(
        id=run_id,
        kind=request.kind,
        grant=request.grant,
        datasets={name: m.version for name, m in mock.versions.items()},
        mock={
            name: {"rows": m.table.num_rows, "seed": m.seed} for name, m in mock.versions.items()
        },
        model=request.model_name,
        description=request.description,
        source_sha256=hashlib.sha256(request.source.encode("utf-8")).hexdigest(),
        params=dict(request.params),
        backend=backend.name,
        profile=request.profile,
        limits=dict(limits),
        outcome=status,
        reason="" if status is RunOutcome.OK else failure_reason(status, limits),
        result=outcome.value,
        log=list(outcome.log),
        log_truncated=outcome.log_truncated,
        errors=list(outcome.errors),
        failure=(
            model_error_facts(list(outcome.errors), request.source)
            if status is RunOutcome.MODEL_ERROR
            else None
        ),
        releases=broker.releases,
        refusals=broker.refusals,
        spend=spend_of(ledger, request.grant, request.policies),
        checks=checks,
        duration=outcome.duration,
    )
