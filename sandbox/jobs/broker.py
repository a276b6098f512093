"""The trusted broker of a DP job: each DP call of the model, answered by the query engine.

The untrusted worker only *asks* (a :class:`~sandbox.runtime.channel.DPRequest` over the
channel). For each call the broker, on the trusted side:

1. refuses a dataset that is not one of the job's, and re-checks that the job's grant is
   still active for it and the dataset not suspended (a grant revoked or a dataset
   suspended mid-job stops the next call);
2. runs the call through :class:`~sandbox.engine.QueryEngine` under the effective policy of
   the dataset with the grant, on the handle the request shapes (its joins, each other
   granted dataset checked as in 1, then its derived columns in order, then its ``where``
   conditions, then its ``group_by`` keys), which validates the arguments, charges the
   grant's and every joined dataset's budgets *before* computing and adds the noise (the
   charge's transaction first checks that the job is still running under its process's
   lease, so a job failed meanwhile is never charged);
3. records the release's report (what it cost, which mechanism) with the job, and answers
   with the noisy value only: a number, ``None`` when suppressed, or a table as a list of
   row objects.

Every refusal the model sees is one of the platform's typed errors, whose messages never
quote a data value; anything unexpected is logged on the server and answered with a
generic refusal.
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from sandbox import policy_store
from sandbox.access.grants import active_grant_for
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.engine import QueryEngine, Release
from sandbox.engine.bounding import ROWS_PER_BUCKET
from sandbox.engine.compute import LocalTaskPool, TaskPool
from sandbox.engine.handle import DatasetHandle
from sandbox.engine.joined import apply_join
from sandbox.errors import SandboxError
from sandbox.identity.model import Actor, Role
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.policies import Policy
from sandbox.policies.budget import BudgetExhausted
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import BrokerRefusal
from sandbox.store.models import JobRow, UserRow

__all__ = ["BudgetRefusal", "JobBroker", "answer_of", "release_of"]

log = logging.getLogger(__name__)

ReleaseListener = Callable[[dict[str, Any]], None]
RefusalListener = Callable[[dict[str, str]], None]
"""Told of each refused call as platform facts only: the call's name and ``budget`` or
``refused``, never the message (it may echo what the model passed, e.g. a column name)."""

IN_PROCESS_ROWS = 1_000_000
"""Up to this many rows (over the job's datasets) the engine aggregates in the job's own
task; above it, in parallel Ray tasks (the default of ``settings.engine_task_rows``)."""


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def answer_of(release: Release) -> Any:
    """The JSON answer a model receives: the noisy number, ``None``, or rows of a table."""
    if isinstance(release.value, pa.Table):
        return _plain(release.value.to_pylist())
    return _plain(release.value)


class BudgetRefusal(BrokerRefusal):
    """A refusal because a budget would be exceeded (told apart for the job's facts)."""


class JobBroker:
    """Answers one job's DP calls (see the module docstring)."""

    def __init__(
        self,
        platform: Platform,
        job: JobRow,
        on_release: ReleaseListener,
        on_refusal: RefusalListener | None = None,
        *,
        charge_guard: Callable[[Session], None] | None = None,
        author: Actor | None = None,
    ) -> None:
        """``charge_guard`` runs in each charge's transaction before the debit (the job is
        still running and still its process's: :func:`sandbox.jobs.leases.charge_guard`);
        ``author`` is the job's owner when the caller already read it.
        """
        self._platform = platform
        self._charge_guard = charge_guard
        self._job_id = job.id
        self._owner_id = job.owner_id
        self._grant_id = job.grant_id
        self._grant_ref = job.grant_ref
        self._kind = job.kind
        self._datasets = tuple(job.datasets)
        self._versions = dict(job.datasets)
        self._on_release = on_release
        self._on_refusal = on_refusal
        if author is None:
            with platform.sessions() as session:
                owner = session.get(UserRow, job.owner_id)
                assert owner is not None
                author = Actor(owner.id, owner.username, Role(owner.role), owner.organisation_id)
        self._actor = author
        self._engine: QueryEngine | None = None
        self._engine_lock = threading.Lock()

    def prepare(self) -> threading.Thread:
        """Build the query engine in the background while the sandbox starts the model, so
        that the first DP call does not wait for it; a failure here is met again, and
        answered, by that call.
        """

        def build() -> None:
            try:
                self.engine()
            except Exception:  # the first call builds it again and refuses with the reason
                log.debug("job %s: preparing the query engine failed", self._job_id)

        thread = threading.Thread(target=build, name=f"job-{self._job_id}-engine", daemon=True)
        thread.start()
        return thread

    def _policies(self, session: Session) -> dict[str, Policy]:
        return policy_store.effective_under_grant(session, self._grant_id, self._datasets)

    def _pool(self, session: Session) -> TaskPool | None:
        """In-process partials for small versions; Ray tasks (``None``) for large ones.

        The broker already runs in a Ray task: fanning a small version's aggregates out to
        more tasks costs more in scheduling than it saves.
        """
        rows = sum(
            version_row(session, dataset_row(session, name), version).row_count
            for name, version in self._versions.items()
        )
        return LocalTaskPool() if rows <= self._platform.settings.engine_task_rows else None

    def _bucket_rows(self) -> int:
        """Rows per contribution-bounding bucket: 1.5 times a task's share, as
        :data:`~sandbox.engine.bounding.ROWS_PER_BUCKET` is of :data:`IN_PROCESS_ROWS`.
        """
        share = self._platform.settings.engine_task_rows
        return max(1, ROWS_PER_BUCKET * share // IN_PROCESS_ROWS)

    def engine(self) -> QueryEngine:
        """The job's query engine, built at the first DP call (a model may make none) or
        ahead of it (:meth:`prepare`).
        """
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._build_engine()
            return self._engine

    def _build_engine(self) -> QueryEngine:
        with self._platform.sessions() as session:
            policies, pool = self._policies(session), self._pool(session)
        return QueryEngine(
            self._platform,
            SqlLedger(self._platform.sessions, guard=self._charge_guard),
            grant=self._grant_ref,
            policy=policies,
            actor=self._actor,
            pool=pool,
            rows_per_bucket=self._bucket_rows(),
            job=self._job_id,
        )

    def _check_still_allowed(self, dataset: str) -> None:
        if dataset not in self._datasets:
            raise BrokerRefusal(
                f"dataset {dataset!r} is not one of this job's datasets "
                f"({', '.join(self._datasets)})"
            )
        with self._platform.sessions() as session:
            active_grant_for(
                session, self._owner_id, dataset, self._kind, grant_ref=self._grant_ref
            )

    def __call__(self, request: DPRequest) -> Any:
        """Answer one DP call, or raise :class:`BrokerRefusal` with a message for the model."""
        try:
            return self._answer(request)
        except BudgetRefusal:
            self._refused(request, "budget")
            raise
        except BrokerRefusal:
            self._refused(request, "refused")
            raise

    def _refused(self, request: DPRequest, reason: str) -> None:
        if self._on_refusal is not None:
            self._on_refusal({"call": request.call.value, "reason": reason})

    def _answer(self, request: DPRequest) -> Any:
        try:
            self._check_still_allowed(request.dataset)
            engine = self.engine()
        except BrokerRefusal:
            raise
        except SandboxError as exc:
            raise BrokerRefusal(exc.message if hasattr(exc, "message") else str(exc)) from None
        except Exception:
            log.exception("job %s: the broker failed on a %s call", self._job_id, request.call)
            raise BrokerRefusal("the platform could not answer this call") from None
        release = release_of(
            engine, request, f"job {self._job_id}", allowed=self._check_still_allowed
        )
        self._on_release(release.report.to_dict())
        return answer_of(release)


def release_of(
    engine: QueryEngine, request: DPRequest, who: str, allowed: Callable[[str], None] | None = None
) -> Release:
    """Run one DP call on ``engine``: the handle the request shapes (its joins in order,
    then its derived columns in order, then its ``where`` conditions, then its ``group_by``
    keys), then the call.

    Shared by jobs and dry runs (:mod:`sandbox.jobs.dry_run`), so that a model meets the
    same refusals in both. ``who`` names the caller in the server's log; ``allowed``, when
    given, checks each other dataset a join opens as the request's own dataset was (one
    of the job's, its grant still active) and raises :class:`BrokerRefusal` if not.

    Raises:
        BrokerRefusal: With a message for the model (a :class:`BudgetRefusal` when a
            budget would be exceeded); never one that quotes a data value.
    """

    def opened(name: str) -> DatasetHandle:
        if allowed is not None:
            allowed(name)
        return engine.dataset(name)

    try:
        handle: Any = engine.dataset(request.dataset)
        for join in request.join:
            handle = apply_join(handle, join, opened)
        for spec in request.derive:
            handle = handle.derive(spec)
        if request.where:
            handle = handle.where(*request.where)
        if request.group_by:
            handle = handle.group_by(list(request.group_by))
        method = getattr(handle, request.call.value)
        try:  # bind first: a TypeError from the engine itself is not the model's
            inspect.signature(method).bind(**request.args)
        except TypeError as exc:
            raise BrokerRefusal(f"{request.call}(): {exc}") from None
        release: Release = method(**request.args)
    except BrokerRefusal:
        raise
    except BudgetExhausted as exc:
        raise BudgetRefusal(getattr(exc, "message", str(exc))) from None
    except SandboxError as exc:
        raise BrokerRefusal(exc.message if hasattr(exc, "message") else str(exc)) from None
    except Exception:
        log.exception("%s: the broker failed on a %s call", who, request.call)
        raise BrokerRefusal("the platform could not answer this call") from None
    return release
