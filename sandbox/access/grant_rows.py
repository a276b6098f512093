"""Grant rows as the domain's :class:`~sandbox.access.model.Grant`: one row with its
names looked up (:func:`grant_of`), or the rows a statement selects with their holder's,
approver's and provider's names joined into the same statement (:func:`grants_of`, for
listings and for the grant checks every job and verification call makes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session, aliased

from sandbox.access.model import Grant, GrantStatus, JobKind
from sandbox.access.rules import grant_status_at
from sandbox.store.models import GrantRow, OrganisationRow, UserRow

__all__ = ["grant_of", "grants_of"]


def grant_of(session: Session, row: GrantRow, now: datetime) -> Grant:
    """A grant row as the domain sees it, its status as of ``now``."""
    holder = session.get(UserRow, row.holder_id)
    approver = session.get(UserRow, row.approved_by)
    org = session.get(OrganisationRow, row.provider_org_id)
    return _grant(
        row,
        now,
        holder.username if holder else None,
        approver.username if approver else None,
        org.name if org else None,
    )


def grants_of(session: Session, stmt: Select[Any], now: datetime) -> list[Grant]:
    """The grants ``stmt`` selects, each with its holder's, approver's and provider's
    names read in the same statement (not three more a grant).
    """
    holder, approver = aliased(UserRow), aliased(UserRow)
    named = (
        stmt.add_columns(holder.username, approver.username, OrganisationRow.name)
        .outerjoin(holder, holder.id == GrantRow.holder_id)
        .outerjoin(approver, approver.id == GrantRow.approved_by)
        .outerjoin(OrganisationRow, OrganisationRow.id == GrantRow.provider_org_id)
    )
    return [_grant(row, now, *names) for row, *names in session.execute(named)]


def _grant(
    row: GrantRow, now: datetime, holder: str | None, approver: str | None, org: str | None
) -> Grant:
    stored = GrantStatus(row.status)
    valid_until = row.valid_until
    return Grant(
        id=row.id,
        ref=row.ref,
        application_id=row.application_id,
        holder_id=row.holder_id,
        holder=holder or "?",
        provider_org_id=row.provider_org_id,
        provider_org=org or "?",
        datasets=tuple(row.datasets),
        job_kinds=tuple(JobKind(k) for k in row.job_kinds),
        policy=dict(row.policy),
        period_start=row.period_start,
        period_end=row.period_end,
        valid_from=row.valid_from,
        valid_until=valid_until,
        stored_status=stored,
        status=grant_status_at(stored, valid_until, now),
        status_reason=row.status_reason,
        created_at=row.created_at,
        approved_by=approver or "?",
        agreement_version=row.agreement_version,
        agreement_sha256=row.agreement_sha256,
        accepted_at=row.accepted_at,
        report_interval_days=row.report_interval_days,
    )
