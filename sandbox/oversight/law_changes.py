"""Catalog updates after a change of law, within 15 working days (Chengdu art. 14).

Chengdu art. 14: each body updates its catalog "within 15 working days from the day the
relevant laws and regulations are revised or its administrative functions change". So:

1. the authority records the change (a revised law, or a changed function): its citation,
   the day it happened and what it affects, named datasets and/or whole provider
   organisations (each of their datasets);
2. a task opens for each affected dataset, assigned to its provider organisation, due 15
   working days after the day of the change (that day not counted, as every deadline);
   the organisation's providers are notified;
3. the task is closed by the catalog change it led to: an attribute change requested since
   the day of the change, a new dataset policy set since then, a new version stored since
   then, or a recorded "no change needed" with its reason. A provider of the dataset's
   organisation or the authority closes it; an open task past its day is overdue in the
   statistics and in the authority's overdue list.

Every account may read the changes themselves; a task is seen by its organisation's
providers and by oversight.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.model import Stage, StageKind, Subject
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import notify, staff_of
from sandbox.oversight.common import clean_text, dataset_name, now_or, org_name, username
from sandbox.oversight.law_change_references import TaskResolution, catalog_change_since
from sandbox.store.models import (
    DatasetRow,
    LawChangeRow,
    LawChangeTaskRow,
    OrganisationRow,
    WorkflowStageRow,
)
from sandbox.workdays import WorkCalendar

MAX_AFFECTED = 500
"""Most datasets one recorded change opens tasks for."""


class LawChangeKind(enum.StrEnum):
    """What changed (Chengdu art. 14 names both)."""

    LAW_REVISION = "law_revision"
    """A law or regulation was revised."""
    FUNCTION_CHANGE = "function_change"
    """A body's administrative functions changed."""


class TaskStatus(enum.StrEnum):
    """Where a law-change task stands."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class LawChangeTask:
    """One dataset's catalog update after a change of law, with its deadline."""

    id: int
    law_change_id: int
    citation: str
    dataset: str
    provider_org: str
    status: TaskStatus
    resolution: str
    reference: int | None
    reason: str
    closed_by: str | None
    closed_at: datetime | None
    stages: tuple[Stage, ...]

    @property
    def current_stage(self) -> Stage | None:
        """The open stage, if the task still waits."""
        return next((s for s in self.stages if s.closed_at is None), None)


@dataclass(frozen=True)
class LawChange:
    """A recorded change of law and the tasks it opened (those the reader sees)."""

    id: int
    kind: LawChangeKind
    citation: str
    summary: str
    changed_on: date
    recorded_by: str
    recorded_at: datetime
    tasks: tuple[LawChangeTask, ...]


# ---- recording -----------------------------------------------------------------------------


def _affected(
    session: Session, datasets: Sequence[str], organisations: Sequence[int]
) -> list[DatasetRow]:
    found: dict[int, DatasetRow] = {}
    for name in datasets:
        row = session.execute(
            select(DatasetRow).where(DatasetRow.name == name)
        ).scalar_one_or_none()
        if row is None:
            raise InvalidRequest(f"dataset {name!r} is not in the catalog")
        found[row.id] = row
    for organisation_id in organisations:
        if session.get(OrganisationRow, organisation_id) is None:
            raise InvalidRequest(f"organisation {organisation_id} does not exist")
        for row in session.execute(
            select(DatasetRow).where(DatasetRow.provider_org_id == organisation_id)
        ).scalars():
            found[row.id] = row
    if not found:
        raise InvalidRequest(
            "name the affected datasets or organisations (an organisation with datasets)"
        )
    if len(found) > MAX_AFFECTED:
        raise InvalidRequest(f"one change opens tasks for at most {MAX_AFFECTED} datasets")
    return sorted(found.values(), key=lambda r: r.name)


def record_change(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    kind: str,
    citation: str,
    changed_on: date,
    summary: str = "",
    datasets: Sequence[str] = (),
    organisations: Sequence[int] = (),
    now: datetime | None = None,
) -> LawChange:
    """The authority records a change of law; a task with its 15-working-day deadline
    opens for each affected dataset (Chengdu art. 14).
    """
    now = now_or(now)
    if actor.role is not Role.AUTHORITY or actor.user_id is None:
        raise PermissionDenied("only the authority records changes of law")
    parsed = parse_enum(LawChangeKind, kind, "kind")
    citation = clean_text(citation, "citation", required=True, limit=300)
    summary = clean_text(summary, "summary")
    if changed_on > calendar.local_date(now):
        raise InvalidRequest("changed_on is in the future: record a change once it happened")
    if changed_on < date(2000, 1, 1):
        raise InvalidRequest("changed_on must not be before 2000")
    affected = _affected(session, datasets, organisations)
    row = LawChangeRow(
        kind=str(parsed),
        citation=citation,
        summary=summary,
        changed_on=changed_on,
        recorded_by=actor.user_id,
        recorded_at=now,
    )
    session.add(row)
    session.flush()
    started = calendar.start_of_day(changed_on)
    due: date | None = None
    for dataset in affected:
        task = LawChangeTaskRow(
            law_change_id=row.id,
            dataset_id=dataset.id,
            provider_org_id=dataset.provider_org_id,
            status=str(TaskStatus.OPEN),
            resolution="",
            reason="",
            opened_at=now,
        )
        session.add(task)
        session.flush()
        stage = open_stage(
            session,
            calendar,
            subject=Subject.LAW_CHANGE_TASK,
            subject_id=task.id,
            kind=StageKind.CATALOG_UPDATE,
            assignee_role="provider",
            assignee_org_id=dataset.provider_org_id,
            now=started,
        )
        due = stage.due_on
        notify(
            session,
            staff_of(session, dataset.provider_org_id, ["provider"]),
            "task.assigned",
            subject=(str(Subject.LAW_CHANGE_TASK), task.id),
            params={
                "dataset": dataset.name,
                "subject": str(StageKind.CATALOG_UPDATE),
                "due_on": stage.due_on.isoformat(),
            },
        )
    audit.record(
        session,
        actor,
        "law_change.record",
        object_type="law_change",
        object_id=row.id,
        detail={
            "kind": str(parsed),
            "citation": citation,
            "changed_on": changed_on.isoformat(),
            "datasets": [d.name for d in affected],
            "due_on": due.isoformat() if due else None,
        },
    )
    return change_of(session, actor, calendar, row, now)


# ---- closing -------------------------------------------------------------------------------


def close_task(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    task_id: int,
    *,
    resolution: str,
    reference: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> LawChangeTask:
    """Close a task with the catalog change it led to, or "no change needed" and why (a
    provider of the dataset's organisation, or the authority).
    """
    now = now_or(now)
    task = _visible_task(session, actor, task_id, lock=True)
    if actor.role is not Role.AUTHORITY and not owns(actor, task.provider_org_id):
        raise PermissionDenied(
            "only a provider of the dataset's organisation or the authority closes this task"
        )
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"law-change task {task_id} was already closed")
    parsed = parse_enum(TaskResolution, resolution, "resolution")
    reason = clean_text(reason, "reason", required=parsed is TaskResolution.NO_CHANGE)
    settled = catalog_change_since(session, calendar, task, parsed, reference)
    task.status = str(TaskStatus.CLOSED)
    task.resolution = str(parsed)
    task.reference = settled
    task.reason = reason
    task.closed_by = actor.user_id
    task.closed_at = now
    close_stage(
        session,
        subject=Subject.LAW_CHANGE_TASK,
        subject_id=task.id,
        kind=StageKind.CATALOG_UPDATE,
        closed_by=actor.user_id,
        outcome=str(parsed),
        note=reason,
        now=now,
    )
    audit.record(
        session,
        actor,
        "law_change.task.close",
        object_type="law_change",
        object_id=task.law_change_id,
        detail={
            "task_id": task.id,
            "dataset": dataset_name(session, task.dataset_id),
            "resolution": str(parsed),
            "reference": settled,
            "reason": reason,
        },
    )
    return task_of(session, calendar, task, now)


# ---- reading -------------------------------------------------------------------------------


def _sees_task(actor: Actor, task: LawChangeTaskRow) -> bool:
    return actor.role in OVERSIGHT_ROLES or owns(actor, task.provider_org_id)


def _visible_task(
    session: Session, actor: Actor, task_id: int, *, lock: bool = False
) -> LawChangeTaskRow:
    task = session.get(LawChangeTaskRow, task_id, with_for_update=lock)
    if task is None or not _sees_task(actor, task):
        raise NotFound(f"law-change task {task_id} does not exist")
    return task


def get_change(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    change_id: int,
    *,
    now: datetime | None = None,
) -> LawChange:
    """One recorded change (any account), with the tasks the reader sees."""
    row = session.get(LawChangeRow, change_id)
    if row is None:
        raise NotFound(f"law change {change_id} does not exist")
    return change_of(session, actor, calendar, row, now_or(now))


def list_changes(
    session: Session, actor: Actor, calendar: WorkCalendar, *, now: datetime | None = None
) -> list[LawChange]:
    """Every recorded change, newest first (any account)."""
    moment = now_or(now)
    rows = session.execute(select(LawChangeRow).order_by(LawChangeRow.id.desc())).scalars()
    return [change_of(session, actor, calendar, row, moment) for row in rows]


def list_tasks(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: str | None = None,
    dataset: str | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[LawChangeTask]:
    """The tasks ``actor`` sees (its organisation's; oversight: all), oldest first;
    ``overdue`` keeps the open ones past their day.
    """
    if actor.role not in OVERSIGHT_ROLES and actor.role is not Role.PROVIDER:
        raise PermissionDenied("law-change tasks are for providers and oversight")
    moment = now_or(now)
    stmt = select(LawChangeTaskRow).order_by(LawChangeTaskRow.id)
    if status is not None:
        stmt = stmt.where(LawChangeTaskRow.status == str(parse_enum(TaskStatus, status, "status")))
    if dataset is not None:
        row = session.execute(
            select(DatasetRow.id).where(DatasetRow.name == dataset)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"dataset {dataset!r} does not exist")
        stmt = stmt.where(LawChangeTaskRow.dataset_id == row)
    if actor.role not in OVERSIGHT_ROLES:
        stmt = stmt.where(LawChangeTaskRow.provider_org_id == actor.organisation_id)
    found = [task_of(session, calendar, t, moment) for t in session.execute(stmt).scalars()]
    if overdue:
        found = [
            t
            for t in found
            if t.current_stage is not None
            and t.current_stage.time_left is not None
            and t.current_stage.time_left.overdue
        ]
    return found


def task_of(
    session: Session, calendar: WorkCalendar, row: LawChangeTaskRow, now: datetime
) -> LawChangeTask:
    """A task row as the domain sees it."""
    change = session.get(LawChangeRow, row.law_change_id)
    return LawChangeTask(
        id=row.id,
        law_change_id=row.law_change_id,
        citation=change.citation if change else "?",
        dataset=dataset_name(session, row.dataset_id),
        provider_org=org_name(session, row.provider_org_id),
        status=TaskStatus(row.status),
        resolution=row.resolution,
        reference=row.reference,
        reason=row.reason,
        closed_by=username(session, row.closed_by),
        closed_at=row.closed_at,
        stages=stages_of(session, calendar, Subject.LAW_CHANGE_TASK, row.id, now),
    )


def change_of(
    session: Session, actor: Actor, calendar: WorkCalendar, row: LawChangeRow, now: datetime
) -> LawChange:
    """A change row with the tasks ``actor`` sees."""
    tasks = session.execute(
        select(LawChangeTaskRow)
        .where(LawChangeTaskRow.law_change_id == row.id)
        .order_by(LawChangeTaskRow.id)
    ).scalars()
    return LawChange(
        id=row.id,
        kind=LawChangeKind(row.kind),
        citation=row.citation,
        summary=row.summary,
        changed_on=row.changed_on,
        recorded_by=username(session, row.recorded_by) or "?",
        recorded_at=row.recorded_at,
        tasks=tuple(task_of(session, calendar, t, now) for t in tasks if _sees_task(actor, t)),
    )


def task_figures(session: Session, calendar: WorkCalendar, now: datetime) -> tuple[int, int, int]:
    """(open, overdue, closed) tasks, for the statistics."""
    today = calendar.local_date(now)
    counts = dict(
        session.execute(
            select(LawChangeTaskRow.status, func.count()).group_by(LawChangeTaskRow.status)
        ).all()
    )
    overdue = session.execute(
        select(func.count())
        .select_from(LawChangeTaskRow)
        .join(
            WorkflowStageRow,
            (WorkflowStageRow.subject_type == str(Subject.LAW_CHANGE_TASK))
            & (WorkflowStageRow.subject_id == LawChangeTaskRow.id),
        )
        .where(
            LawChangeTaskRow.status == str(TaskStatus.OPEN),
            WorkflowStageRow.closed_at.is_(None),
            WorkflowStageRow.due_on < today,
        )
    ).scalar_one()
    return (
        int(counts.get(str(TaskStatus.OPEN), 0)),
        int(overdue),
        int(counts.get(str(TaskStatus.CLOSED), 0)),
    )
