"""Job quotas: how many unfinished jobs one user and one grant may have at once.

The numbers come from policy, layered as every job limit is
(:mod:`sandbox.policies.layering`): the authority's floor sets the ceiling, a dataset
policy may only tighten it, and a grant may tighten it further. A job reading several
datasets is held to the smallest quota of any of them. ``active_jobs_per_user`` counts the
user's unfinished jobs across every grant; ``active_jobs_per_grant`` those of the job's grant.

Unfinished means submitted, queued, running or being checked: the jobs that hold the
compute a quota rations. A job waiting for a human reviewer holds none and is not counted,
so a slow review never locks its owner out.

The check runs in the submission's transaction as its last step before the commit: the job
is already inserted (not yet visible to others), then the user's and the grant's rows are
locked (``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL; SQLite's single writer serialises
the same way) and the other unfinished jobs counted. A second submission waits for the lock
until the first commits, and its count then sees the first's job, so two submissions at
once cannot both take the last place; and the lock is held only for the counts, the audit
entries appended at commit and the commit itself, not for the model checks and the
policies before them (a user's submissions queued behind each other's whole checks). A job
over a quota raises :class:`~sandbox.errors.QuotaExceeded`: the request rolls back whole,
and nothing is stored, queued or charged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from sandbox.errors import QuotaExceeded, SandboxInternalError
from sandbox.jobs.model import JobState
from sandbox.policies import Policy
from sandbox.store.models import GrantRow, JobRow, UserRow

__all__ = ["ACTIVE_STATES", "QUOTA_RETRY_SECONDS", "JobQuotas", "check_job_quotas", "quotas_of"]

ACTIVE_STATES = (JobState.SUBMITTED, JobState.QUEUED, JobState.RUNNING, JobState.CHECKING)
"""The states a job's quota counts (see the module docstring)."""

QUOTA_RETRY_SECONDS = 10
"""The ``Retry-After`` of a refused job: a place frees when some job finishes, at a time
no one knows, so the client is told to look again after a short poll interval."""


class JobQuotas:
    """The effective quotas of one submission (the smallest over its datasets)."""

    def __init__(self, per_user: int, per_grant: int) -> None:
        self.per_user = per_user
        self.per_grant = per_grant


def quotas_of(policies: Iterable[Policy]) -> JobQuotas:
    """The strictest quotas of a job's effective policies."""
    per_user: list[int] = []
    per_grant: list[int] = []
    for policy in policies:
        user_quota = policy.job_limits.active_jobs_per_user
        grant_quota = policy.job_limits.active_jobs_per_grant
        if user_quota is None or grant_quota is None:
            raise SandboxInternalError("an effective policy has no job quota")
        per_user.append(user_quota)
        per_grant.append(grant_quota)
    if not per_user:
        raise SandboxInternalError("a job reads at least one dataset")
    return JobQuotas(min(per_user), min(per_grant))


def _active(session: Session, condition: ColumnElement[bool]) -> int:
    stmt = select(func.count(JobRow.id)).where(
        JobRow.state.in_([str(state) for state in ACTIVE_STATES]), condition
    )
    count: int = session.execute(stmt).scalar_one()
    return count


def check_job_quotas(
    session: Session,
    *,
    user_id: int,
    grant_id: int,
    grant_ref: str,
    policies: Sequence[Policy],
    stored_job_id: int | None = None,
) -> None:
    """Refuse the submission when the user or the grant has no place left; the job being
    submitted (``stored_job_id``, already inserted in this transaction) is not counted.

    Raises:
        QuotaExceeded: Naming the limit (``job_limits.active_jobs_per_user`` or
            ``job_limits.active_jobs_per_grant``), the count and the quota.
    """
    quotas = quotas_of(policies)
    # Lock order user then grant, everywhere, so two submissions never wait on each other.
    # FOR NO KEY UPDATE (key_share): it serialises submissions as FOR UPDATE does, but not
    # the foreign-key checks of rows that reference the user or the grant (a job's insert
    # takes FOR KEY SHARE on both), which under FOR UPDATE queued behind a waiting
    # submitter and deadlocked concurrent submissions on PostgreSQL.
    session.execute(select(UserRow.id).where(UserRow.id == user_id).with_for_update(key_share=True))
    session.execute(
        select(GrantRow.id).where(GrantRow.id == grant_id).with_for_update(key_share=True)
    )
    others = JobRow.id != stored_job_id if stored_job_id is not None else true()
    by_user = _active(session, and_(JobRow.owner_id == user_id, others))
    if by_user >= quotas.per_user:
        raise QuotaExceeded(
            f"you already have {by_user} unfinished jobs, the most the policy allows "
            f"(job_limits.active_jobs_per_user = {quotas.per_user}); "
            "submit again when one has finished",
            limit="job_limits.active_jobs_per_user",
            retry_after_seconds=QUOTA_RETRY_SECONDS,
        )
    by_grant = _active(session, and_(JobRow.grant_id == grant_id, others))
    if by_grant >= quotas.per_grant:
        raise QuotaExceeded(
            f"grant {grant_ref} already has {by_grant} unfinished jobs, the most the policy "
            f"allows (job_limits.active_jobs_per_grant = {quotas.per_grant}); "
            "submit again when one has finished",
            limit="job_limits.active_jobs_per_grant",
            retry_after_seconds=QUOTA_RETRY_SECONDS,
        )
