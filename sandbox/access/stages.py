"""Workflow stages: who must act on an item by when, counted in working days.

A stage opens with its deadline computed from the working-day calendar (the day it opens
is not counted) and closes with who closed it, when, the outcome and a note. Open stages
past their last day are what the authority's overdue list shows. Repository style: every
function works in the caller's session and transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.access.model import STAGE_WORKING_DAYS, Stage, StageKind, Subject
from sandbox.errors import SandboxInternalError
from sandbox.store.models import OrganisationRow, UserRow, WorkflowStageRow
from sandbox.workdays import WorkCalendar


def open_stage(
    session: Session,
    calendar: WorkCalendar,
    *,
    subject: Subject,
    subject_id: int,
    kind: StageKind,
    assignee_role: str,
    assignee_org_id: int | None = None,
    now: datetime,
) -> WorkflowStageRow:
    """Start a stage; its deadline is ``STAGE_WORKING_DAYS[kind]`` working days from
    ``now``.
    """
    days = STAGE_WORKING_DAYS[kind]
    due_on = calendar.due_date(now, days)
    row = WorkflowStageRow(
        subject_type=str(subject),
        subject_id=subject_id,
        stage=str(kind),
        assignee_role=assignee_role,
        assignee_org_id=assignee_org_id,
        working_days=days,
        started_at=now,
        due_on=due_on,
        due_at=calendar.end_of_day(due_on),
        outcome="",
        note="",
    )
    session.add(row)
    session.flush()
    return row


def close_stage(
    session: Session,
    *,
    subject: Subject,
    subject_id: int,
    kind: StageKind,
    closed_by: int | None,
    outcome: str,
    note: str = "",
    now: datetime,
) -> WorkflowStageRow:
    """Close the open stage ``kind`` of an item (there is exactly one while it waits)."""
    row = session.execute(
        select(WorkflowStageRow).where(
            WorkflowStageRow.subject_type == str(subject),
            WorkflowStageRow.subject_id == subject_id,
            WorkflowStageRow.stage == str(kind),
            WorkflowStageRow.closed_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        raise SandboxInternalError(f"{subject} {subject_id} has no open {kind} stage")
    row.closed_at = now
    row.closed_by = closed_by
    row.outcome = outcome
    row.note = note
    session.flush()
    return row


def stages_of(
    session: Session, calendar: WorkCalendar, subject: Subject, subject_id: int, now: datetime
) -> tuple[Stage, ...]:
    """Every stage of an item, oldest first, open ones with their time left at ``now``."""
    rows = session.execute(
        select(WorkflowStageRow)
        .where(
            WorkflowStageRow.subject_type == str(subject), WorkflowStageRow.subject_id == subject_id
        )
        .order_by(WorkflowStageRow.id)
    ).scalars()
    return tuple(stage_of(session, calendar, row, now) for row in rows)


def overdue_rows(session: Session, today: date) -> list[WorkflowStageRow]:
    """Open stages whose last day is before ``today``, the most overdue first."""
    return list(
        session.execute(
            select(WorkflowStageRow)
            .where(WorkflowStageRow.closed_at.is_(None), WorkflowStageRow.due_on < today)
            .order_by(WorkflowStageRow.due_on, WorkflowStageRow.id)
        ).scalars()
    )


def stage_of(
    session: Session, calendar: WorkCalendar, row: WorkflowStageRow, now: datetime
) -> Stage:
    """A stage row as the domain sees it."""
    org = session.get(OrganisationRow, row.assignee_org_id) if row.assignee_org_id else None
    closer = session.get(UserRow, row.closed_by) if row.closed_by else None
    return Stage(
        id=row.id,
        subject=Subject(row.subject_type),
        subject_id=row.subject_id,
        kind=StageKind(row.stage),
        assignee_role=row.assignee_role,
        assignee_org=org.name if org else None,
        started_at=row.started_at,
        due_on=row.due_on,
        due_at=row.due_at,
        closed_at=row.closed_at,
        closed_by=closer.username if closer else None,
        outcome=row.outcome,
        note=row.note,
        time_left=calendar.time_left(row.due_on, now) if row.closed_at is None else None,
    )
