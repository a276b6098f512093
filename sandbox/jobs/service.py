"""Jobs as the API, the client and the CLI use them: submit, read, log, cancel, and stop on
a suspension.

Who sees a job: its owner; the provider and reviewer accounts of the organisation that
granted it (they review its results); oversight. What the model produced (log, errors,
result) is *held* until it may cross the release boundary
(:mod:`sandbox.jobs.visibility`); the platform's own facts are always shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import JobKind
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.jobs.lifecycle import move
from sandbox.jobs.log_entries import JobLog, log_entries
from sandbox.jobs.model import FINAL_STATES, Job, JobState, LogReview
from sandbox.jobs.submission import JobRequest, submit_job
from sandbox.jobs.visibility import content_held
from sandbox.platform import Platform
from sandbox.runtime.backends import BackendRegistry, default_registry
from sandbox.runtime.vetted import VettedModels
from sandbox.store.db import transaction
from sandbox.store.models import GrantRow, JobRow, UserRow

__all__ = ["cancel", "get_job", "job_of", "list_jobs", "stop_jobs_on_dataset", "submit"]

_STAFF_ROLES = frozenset({Role.PROVIDER, Role.REVIEWER})
_T = TypeVar("_T")


def _visible(stmt: Select[_T], actor: Actor) -> Select[_T]:
    if actor.role in OVERSIGHT_ROLES:
        return stmt
    if actor.role in _STAFF_ROLES and actor.organisation_id is not None:
        granted = select(GrantRow.id).where(GrantRow.provider_org_id == actor.organisation_id)
        return stmt.where(JobRow.grant_id.in_(granted))
    return stmt.where(JobRow.owner_id == actor.user_id)


def _row(session: Session, actor: Actor, job_id: int, *, lock: bool = False) -> JobRow:
    stmt = _visible(select(JobRow).where(JobRow.id == job_id), actor)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"job {job_id} does not exist")
    return row


def job_of(session: Session, actor: Actor, row: JobRow) -> Job:
    """The job as ``actor`` may see it (held fields emptied: see :mod:`.visibility`)."""
    owner = session.get(UserRow, row.owner_id)
    held = content_held(session, actor, row)
    return Job(
        id=row.id,
        owner=owner.username if owner else "?",
        owner_id=row.owner_id,
        grant=row.grant_ref,
        kind=JobKind(row.kind),
        datasets=dict(row.datasets),
        model=row.model_name,
        description=row.description,
        source_sha256=row.source_sha256,
        params=dict(row.params),
        backend=row.backend,
        profile=row.profile,
        limits=dict(row.limits),
        state=JobState(row.state),
        state_reason=row.state_reason,
        outcome=row.outcome,
        progress=dict(row.progress),
        log=[] if held else list(row.log),
        errors=[] if held else list(row.errors),
        result=row.release if row.state == JobState.RELEASED else None,
        releases=list(row.releases),
        held=held,
        cancel_requested=row.cancel_requested,
        submitted_at=row.submitted_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration=row.duration,
        log_review=LogReview(row.log_review) if row.log_review else None,
        log_review_reason=row.log_review_reason or "",
        request_id=row.request_id,
    )


def submit(
    platform: Platform,
    actor: Actor,
    request: JobRequest,
    *,
    models: VettedModels,
    registry: BackendRegistry | None = None,
    notify: Callable[[], None] = lambda: None,
) -> Job:
    """Store a job (``submitted``), queue it, and wake the dispatcher.

    Both steps commit together (each audited): a submission that fails leaves no job.
    """
    with transaction(platform.sessions) as session:
        row = submit_job(
            session,
            actor,
            request,
            models=models,
            registry=registry or default_registry(),
            configured_backend=platform.settings.runtime_backend,
        )
        move(session, row, JobState.QUEUED, actor, audit_at_commit=True)
        job = job_of(session, actor, row)
    notify()
    return job


def get_job(session: Session, actor: Actor, job_id: int) -> Job:
    """One job ``actor`` may see."""
    return job_of(session, actor, _row(session, actor, job_id))


def list_jobs(
    session: Session, actor: Actor, *, state: str | None = None, limit: int = 100
) -> list[Job]:
    """The jobs ``actor`` may see, newest first."""
    stmt = _visible(select(JobRow), actor).order_by(JobRow.id.desc()).limit(limit)
    if state is not None:
        try:
            stmt = stmt.where(JobRow.state == JobState(state))
        except ValueError:
            raise InvalidRequest(f"state must be one of {', '.join(JobState)}") from None
    return [job_of(session, actor, row) for row in session.execute(stmt).scalars()]


def read_log(session: Session, actor: Actor, job_id: int) -> JobLog:
    """A job's log: the model's lines and the platform's entries, told apart
    (:mod:`sandbox.jobs.log_entries`); none while it is held for review.
    """
    job = get_job(session, actor, job_id)
    entries = [] if job.held else log_entries(job.log, job.progress, job.limits)
    return JobLog(job_id=job.id, entries=entries, held=job.held)


def cancel(session: Session, actor: Actor, job_id: int, *, now: datetime | None = None) -> Job:
    """Cancel a job (its owner, or an administrator).

    A job not yet running is cancelled at once; a running one is flagged, and its runner
    stops the sandbox within a fraction of a second (the dispatcher kills the task if not).
    """
    row = _row(session, actor, job_id, lock=True)
    if row.owner_id != actor.user_id and actor.role is not Role.ADMIN:
        raise PermissionDenied("only a job's owner (or an administrator) cancels it")
    state = JobState(row.state)
    if state in FINAL_STATES:
        raise Conflict(f"job {job_id} is already {state}")
    _stop(
        session,
        actor,
        row,
        "cancelled by its owner"
        if row.owner_id == actor.user_id
        else f"cancelled by {actor.username}",
        now,
    )
    return job_of(session, actor, row)


def _stop(session: Session, actor: Actor, row: JobRow, reason: str, now: datetime | None) -> None:
    if row.state == JobState.RUNNING:
        if not row.cancel_requested:
            row.cancel_requested = True
            row.state_reason = reason
            row.updated_at = now or utc_now()
            audit.record(
                session,
                actor,
                "job.cancel_request",
                object_type="job",
                object_id=row.id,
                detail={"datasets": row.datasets, "reason": reason},
            )
        return
    row.cancel_requested = True
    move(session, row, JobState.CANCELLED, actor, reason=reason, now=now)


def stop_jobs_on_dataset(session: Session, actor: Actor, dataset: str, reason: str) -> int:
    """Stop every queued or running job that reads ``dataset`` (its suspension); return how
    many. Results already computed wait frozen in review (they are not cancelled).
    """
    stmt = (
        select(JobRow)
        .where(JobRow.state.in_([JobState.SUBMITTED, JobState.QUEUED, JobState.RUNNING]))
        .with_for_update()
    )
    stopped = 0
    for row in session.execute(stmt).scalars():
        if dataset in row.datasets:
            _stop(session, actor, row, reason, None)
            stopped += 1
    return stopped
