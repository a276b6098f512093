"""Job ownership when several API processes share one database: leases and a heartbeat.

Each API process has an owner id (:func:`process_owner`: host, pid and a random tag). Its
dispatcher *claims* a ``queued`` job before it hands it to Ray (:func:`claim`: a conditional
update, so of two processes exactly one wins) and then answers for it: the runner only
starts, charges and finishes a job whose lease is its dispatcher's, and the charge checks
that in the same transaction as the debit (:func:`charge_guard`).

A claim holds until ``lease_expires_at``; the owner's :class:`LeaseKeeper` renews its leases
every ``job_heartbeat_seconds`` (to now + ``job_lease_seconds``) and sweeps for leases that
expired elsewhere (:func:`recover_expired`): a dead process's ``queued`` job goes back to
the queue (it never started computing), its ``running`` or ``checking`` job is failed with
the reason that its process stopped (its charges stay spent; it never runs twice). Nothing
with a live lease is touched, so one process's start never fails another's jobs.

On SQLite there is one API process by construction (the embedded default), so its start-up
recovery takes over every unfinished job at once, as a restart did before leases.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from sandbox.clock import utc_now
from sandbox.errors import Conflict
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.platform import Platform
from sandbox.store.db import is_postgres, transaction
from sandbox.store.models import JobRow

__all__ = [
    "UNFINISHED",
    "LeaseKeeper",
    "charge_guard",
    "claim",
    "claimable",
    "give_up",
    "process_owner",
    "recover_expired",
    "renew",
]

log = logging.getLogger(__name__)

UNFINISHED = (JobState.QUEUED, JobState.RUNNING, JobState.CHECKING)
"""The states in which a job has an owner that answers for it."""

RESTARTED = "the platform restarted while the job was {state}; start it again"
OWNER_STOPPED = (
    "the API process running the job stopped (its lease expired at {expired} UTC) while the "
    "job was {state}; its DP charges stay spent; start it again"
)
REQUEUED = "queued again: the API process that took it stopped before it ran"

_owner: tuple[int, str] | None = None


def process_owner() -> str:
    """This process's owner id (new after a fork: a child is another owner)."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:
        _owner = (pid, f"{socket.gethostname()[:64]}:{pid}:{secrets.token_hex(4)}")
    return _owner[1]


def _lease(platform: Platform, now: datetime) -> datetime:
    return now + timedelta(seconds=platform.settings.job_lease_seconds)


def claimable(session: Session, owner: str, now: datetime | None = None) -> list[int]:
    """Queued jobs ``owner`` may claim: unclaimed, its own, or whose lease expired."""
    moment = now or utc_now()
    return list(
        session.execute(
            select(JobRow.id)
            .where(
                JobRow.state == JobState.QUEUED,
                or_(
                    JobRow.lease_owner.is_(None),
                    JobRow.lease_owner == owner,
                    JobRow.lease_expires_at < moment,
                ),
            )
            .order_by(JobRow.id)
        ).scalars()
    )


def claim(platform: Platform, job_id: int, owner: str) -> bool:
    """Take ``job_id`` for ``owner`` if it is still queued and free; whether it was."""
    now = utc_now()
    with transaction(platform.sessions) as session:
        result = session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.state == JobState.QUEUED,
                or_(
                    JobRow.lease_owner.is_(None),
                    JobRow.lease_owner == owner,
                    JobRow.lease_expires_at < now,
                ),
            )
            .values(lease_owner=owner, lease_expires_at=_lease(platform, now))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


def renew(platform: Platform, owner: str) -> int:
    """The heartbeat: extend every lease ``owner`` holds; return how many."""
    now = utc_now()
    with transaction(platform.sessions) as session:
        result = session.execute(
            update(JobRow)
            .where(JobRow.lease_owner == owner, JobRow.state.in_(UNFINISHED))
            .values(lease_expires_at=_lease(platform, now))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))


def give_up(platform: Platform, owner: str) -> int:
    """A process stopping cleanly ends its leases now, so that another process takes its
    jobs over at its next sweep rather than a lease later; return how many.
    """
    with transaction(platform.sessions) as session:
        result = session.execute(
            update(JobRow)
            .where(JobRow.lease_owner == owner, JobRow.state.in_(UNFINISHED))
            .values(lease_expires_at=utc_now())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))


def recover_expired(
    platform: Platform, owner: str, *, take_over_all: bool = False
) -> dict[str, int]:
    """Resume or fail the unfinished jobs no live process answers for; counts by action.

    ``submitted`` jobs older than a lease are queued (their process died between storing
    and queueing them); ``queued`` ones whose lease expired are freed for any dispatcher;
    ``running`` and ``checking`` ones whose lease expired are failed. ``take_over_all``
    (start-up on SQLite: no other process can exist) treats every other owner as gone.
    """
    now = utc_now()
    gone = or_(JobRow.lease_owner.is_(None), JobRow.lease_owner != owner)
    if not take_over_all:
        gone = and_(gone, or_(JobRow.lease_expires_at.is_(None), JobRow.lease_expires_at < now))
    stale_submission = JobRow.state == JobState.SUBMITTED
    if not take_over_all:
        cutoff = now - timedelta(seconds=platform.settings.job_lease_seconds)
        stale_submission = and_(stale_submission, JobRow.submitted_at < cutoff)
    counts = {"queued": 0, "failed": 0}
    with transaction(platform.sessions) as session:
        stmt = (
            select(JobRow)
            .where(
                or_(
                    stale_submission,
                    and_(JobRow.state == JobState.QUEUED, JobRow.lease_owner.is_not(None), gone),
                    and_(JobRow.state.in_([JobState.RUNNING, JobState.CHECKING]), gone),
                )
            )
            .order_by(JobRow.id)
            .with_for_update(skip_locked=is_postgres(platform.engine))
        )
        for row in session.execute(stmt).scalars().all():
            if row.state == JobState.SUBMITTED:
                move(
                    session,
                    row,
                    JobState.QUEUED,
                    platform_actor(),
                    reason="queued after a platform restart",
                )
                counts["queued"] += 1
            elif row.state == JobState.QUEUED:
                row.lease_owner, row.lease_expires_at = None, None
                row.state_reason = REQUEUED
                counts["queued"] += 1
            else:
                _fail_taken_over(session, row, take_over_all)
                counts["failed"] += 1
    return counts


def _fail_taken_over(session: Session, row: JobRow, restarted: bool) -> None:
    state = str(row.state)
    expired = row.lease_expires_at
    if restarted or row.lease_owner is None or expired is None:
        reason = RESTARTED.format(state=state)
    else:
        reason = OWNER_STOPPED.format(state=state, expired=f"{expired:%Y-%m-%d %H:%M:%S}")
    if row.state == JobState.RUNNING:
        row.outcome = str(RunOutcome.INTERRUPTED)
    move(
        session,
        row,
        JobState.FAILED,
        platform_actor(),
        reason=reason,
        detail={
            "lease_owner": row.lease_owner,
            "lease_expired": expired.isoformat() if expired else None,
        },
    )


def charge_guard(job_id: int, owner: str | None) -> Callable[[Session], None]:
    """The check a job's DP charge makes in its own transaction, before the debit: the job
    is still ``running`` and (with an ``owner``) still that owner's. The job's row is locked,
    so a recovery failing the job and this charge are serialised: a job marked failed is
    never charged after.
    """

    def guard(session: Session) -> None:
        row = session.execute(  # the two columns it checks, not the job's whole row
            select(JobRow.state, JobRow.lease_owner).where(JobRow.id == job_id).with_for_update()
        ).first()
        if row is None or row.state != JobState.RUNNING:
            state = "gone" if row is None else row.state
            raise Conflict(f"job {job_id} is {state}; its DP calls are no longer answered")
        if owner is not None and row.lease_owner != owner:
            raise Conflict(
                f"job {job_id} was taken over by another process; its DP calls are no "
                "longer answered"
            )

    return guard


class LeaseKeeper:
    """The heartbeat of one API process: renew its leases, sweep for expired ones."""

    def __init__(
        self, platform: Platform, owner: str, on_recovered: Callable[[], None] = lambda: None
    ) -> None:
        self._platform = platform
        self._owner = owner
        self._on_recovered = on_recovered
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Beat every ``job_heartbeat_seconds`` in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="job-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and end this process's leases (another process takes over)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            give_up(self._platform, self._owner)
        except Exception:
            log.exception("ending this process's job leases failed; they expire by themselves")

    def beat(self) -> dict[str, int]:
        """One heartbeat: renew, then sweep; the sweep's counts."""
        renew(self._platform, self._owner)
        counts = recover_expired(self._platform, self._owner)
        if any(counts.values()):
            log.warning("took over jobs whose process stopped: %s", counts)
            self._on_recovered()
        return counts

    def _loop(self) -> None:
        interval = self._platform.settings.job_heartbeat_seconds
        while not self._stopping.wait(interval):
            try:
                self.beat()
            except Exception:  # a database hiccup: the next beat retries (the lease has slack)
                log.exception("the job lease heartbeat failed; retrying")
