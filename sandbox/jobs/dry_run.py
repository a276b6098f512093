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
2. the model runs (:func:`~.mock_run.run_on_mock`) in the backend a job of the same request
   would get, under its limits, its DP calls answered by the trusted query engine itself
   over the mock tables (:class:`~.mock_data.MockQueryEngine`), noise and row-count rules
   applied as they would be, charged to a throwaway in-memory ledger whose grant accounts
   start at what the grant has left (:func:`mock_ledger`: a call the grant could not pay
   is refused as in a job; the dataset's lifetime budget is neither consulted nor shown);
3. a result is checked by the release checks, report only.

A server process runs at most :data:`MAX_DRY_RUNS` dry runs at once, and
:data:`MAX_DRY_RUNS_PER_USER` of one user: each holds a request and a sandbox, so more are
refused at once (``409``) rather than queued behind one another.

The author gets the whole outcome: result, log, error text with its line, the calls made
and refused, what the model would spend per dataset, and what the checks would decide. No
job is stored; the run is audited as ``job.dry_run`` (no ``budget.charge``, no read of a
version).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sandbox import audit
from sandbox.errors import Conflict, NotFound
from sandbox.identity.model import Actor
from sandbox.jobs.mock_data import MockData, MockQueryEngine
from sandbox.jobs.mock_run import DryRun, DryRunChecks, MockRunRequest, run_on_mock
from sandbox.jobs.model import RunOutcome
from sandbox.jobs.submission import CheckedRequest, JobRequest, check_request, choose_backend
from sandbox.ledger import InMemoryLedger, SqlLedger
from sandbox.platform import Platform
from sandbox.runtime.backends import Backend, BackendRegistry, default_registry
from sandbox.runtime.vetted import VettedModels
from sandbox.store.db import transaction

__all__ = ["DryRun", "DryRunChecks", "dry_run", "mock_ledger"]


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


MAX_DRY_RUNS = 4
"""Dry runs one server process runs at once: each holds a request and a sandbox."""

MAX_DRY_RUNS_PER_USER = 2
"""Dry runs one user has running at once on one server process."""

_running: dict[int | None, int] = {}
_running_lock = threading.Lock()


@contextlib.contextmanager
def _slot(actor: Actor) -> Iterator[None]:
    """Hold one of the process's dry-run slots for ``actor``, or refuse at once.

    Raises:
        Conflict: Too many dry runs are running (the caller's, or the server's).
    """
    with _running_lock:
        if _running.get(actor.user_id, 0) >= MAX_DRY_RUNS_PER_USER:
            raise Conflict(
                f"you have {MAX_DRY_RUNS_PER_USER} dry runs running; try again "
                "when one has answered"
            )
        if sum(_running.values()) >= MAX_DRY_RUNS:
            raise Conflict(
                "the server is running as many dry runs as it takes; try again in a moment"
            )
        _running[actor.user_id] = _running.get(actor.user_id, 0) + 1
    try:
        yield
    finally:
        with _running_lock:
            _running[actor.user_id] -= 1
            if not _running[actor.user_id]:
                del _running[actor.user_id]


def dry_run(
    platform: Platform,
    actor: Actor,
    request: JobRequest,
    *,
    models: VettedModels,
    registry: BackendRegistry | None = None,
) -> DryRun:
    """Run ``request``'s model on its datasets' mock tables (see the module docstring).

    Raises:
        PermissionDenied: The caller is not a user account, or holds no grant covering it.
        InvalidRequest: The request, the model's parameters or the backend are unfit (a
            model that does not compile is a dry run's outcome, not a refusal).
        Conflict: Too many dry runs are running (:data:`MAX_DRY_RUNS_PER_USER`,
            :data:`MAX_DRY_RUNS`).
    """
    with _slot(actor):
        return _dry_run(platform, actor, request, models=models, registry=registry)


def _dry_run(
    platform: Platform,
    actor: Actor,
    request: JobRequest,
    *,
    models: VettedModels,
    registry: BackendRegistry | None,
) -> DryRun:
    with platform.sessions() as session:
        checked = check_request(session, actor, request, models=models)
        policies = checked.policies
    backend = choose_backend(
        registry or default_registry(),
        platform.settings.runtime_backend,
        checked.kind,
        checked.profile,
    )
    run_request = MockRunRequest(
        kind=checked.kind,
        grant=checked.grant.ref,
        source=checked.source,
        model_name=checked.model_name,
        description=checked.info.description or "",
        params=checked.params,
        limits=checked.limits,
        policies=policies,
        profile=checked.profile,
    )
    run_id = uuid.uuid4().hex[:16]
    with tempfile.TemporaryDirectory(prefix="sandbox-dry-run-") as scratch:
        store, inputs = Path(scratch) / "store", Path(scratch) / "inputs"
        store.mkdir()
        inputs.mkdir()
        mock = MockData.write(platform, checked.datasets, platform.settings.mock_rows, store)
        ledger = mock_ledger(platform, checked.grant.ref, checked.datasets)
        engine = MockQueryEngine(
            platform, mock, ledger, grant=checked.grant.ref, policy=policies, actor=actor
        )
        try:
            run = run_on_mock(platform, run_request, mock, engine, ledger, backend, inputs, run_id)
        except Exception:
            _audit(platform, actor, checked, run_id, backend, mock, RunOutcome.CRASHED, {})
            raise
    _audit(platform, actor, checked, run_id, backend, mock, run.outcome, run.spend)
    return run


def _audit(
    platform: Platform,
    actor: Actor,
    checked: CheckedRequest,
    run_id: str,
    backend: Backend,
    mock: MockData,
    outcome: RunOutcome,
    spend: Mapping[str, Mapping[str, Any]],
) -> None:
    """Record the dry run: what ran on which mocks, how it ended, what it would spend."""
    with transaction(platform.sessions) as session:
        audit.record(
            session,
            actor,
            "job.dry_run",
            object_type="dry_run",
            object_id=run_id,
            detail={
                "datasets": {n: m.version for n, m in mock.versions.items()},
                "mock_rows": {n: m.table.num_rows for n, m in mock.versions.items()},
                "kind": str(checked.kind),
                "grant": checked.grant.ref,
                "model": checked.model_name,
                "source_sha256": hashlib.sha256(checked.source.encode("utf-8")).hexdigest(),
                "backend": backend.name,
                "profile": str(checked.profile),
                "outcome": str(outcome),
                "would_spend": {n: s["text"] for n, s in spend.items()},
                "charged": False,
            },
        )
