"""Update reminders (Wuxi art. 13: data updated at the catalog's frequency, with update
reminders; Qingdao art. 14): a sweep reminds each provider, once per lapse, when a dataset's
newest passed version will be older than its update frequency allows within
``REMINDER_LEAD_DAYS`` working days (or already is). The authority and the operator run it
(``POST /v1/update-reminders/sweep``, ``sandbox governance remind``); each reminder is
audited and notified to the provider's staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.model import ReviewStatus, UpdateFrequency
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.catalog.queries import dataset_row
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import notify, staff_of
from sandbox.oversight.common import now_or
from sandbox.store.models import DatasetRow, DatasetVersionRow, UpdateReminderRow
from sandbox.workdays import WorkCalendar

REMINDER_LEAD_DAYS = 5
"""Working days before a dataset's update frequency lapses that its provider is reminded."""


@dataclass(frozen=True)
class UpdateReminder:
    """A reminder that a dataset's update frequency lapses on ``lapses_on``."""

    id: int
    dataset: str
    provider_org_id: int
    version: int
    update_frequency: UpdateFrequency
    lapses_on: date
    reminded_at: datetime


def _reminder(session: Session, row: UpdateReminderRow) -> UpdateReminder:
    dataset = session.get(DatasetRow, row.dataset_id)
    assert dataset is not None
    return UpdateReminder(
        id=row.id,
        dataset=dataset.name,
        provider_org_id=dataset.provider_org_id,
        version=row.version,
        update_frequency=UpdateFrequency(dataset.update_frequency),
        lapses_on=row.lapses_on,
        reminded_at=row.reminded_at,
    )


def lapse_date(
    calendar: WorkCalendar, frequency: UpdateFrequency, last_version_at: datetime
) -> date:
    """The day a dataset's newest version stops being current under its frequency."""
    return calendar.local_date(last_version_at + frequency.max_age)


def newest_passed(session: Session) -> list[tuple[DatasetRow, DatasetVersionRow]]:
    """Each published dataset with its newest passed (current) version, by name."""
    newest = (
        select(DatasetVersionRow.dataset_id, func.max(DatasetVersionRow.version).label("v"))
        .where(DatasetVersionRow.review_status == str(ReviewStatus.PASSED))
        .group_by(DatasetVersionRow.dataset_id)
        .subquery()
    )
    return list(
        session.execute(
            select(DatasetRow, DatasetVersionRow)
            .join(newest, newest.c.dataset_id == DatasetRow.id)
            .join(
                DatasetVersionRow,
                (DatasetVersionRow.dataset_id == DatasetRow.id)
                & (DatasetVersionRow.version == newest.c.v),
            )
            .order_by(DatasetRow.name)
        ).all()
    )


def sweep_update_reminders(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    *,
    now: datetime | None = None,
    lead_working_days: int = REMINDER_LEAD_DAYS,
) -> list[UpdateReminder]:
    """Remind providers whose datasets' update frequency lapses within
    ``lead_working_days`` working days, or lapsed (Wuxi art. 13: update reminders); once
    per dataset and lapse date, so running the sweep again reminds nobody twice. The
    authority and the platform's operator run it.
    """
    if actor.role not in (Role.AUTHORITY, Role.ADMIN):
        raise PermissionDenied("only the authority or the operator sweeps update reminders")
    if not 0 <= lead_working_days <= 60:
        raise InvalidRequest("lead_working_days must be from 0 to 60")
    moment = now_or(now)
    today = calendar.local_date(moment)
    made = []
    for dataset, version in newest_passed(session):
        frequency = UpdateFrequency(dataset.update_frequency)
        lapses_on = lapse_date(calendar, frequency, version.created_at)
        if calendar.working_days_between(today, lapses_on) > lead_working_days:
            continue
        if session.execute(
            select(UpdateReminderRow.id).where(
                UpdateReminderRow.dataset_id == dataset.id,
                UpdateReminderRow.lapses_on == lapses_on,
            )
        ).first():
            continue
        row = UpdateReminderRow(
            dataset_id=dataset.id, version=version.version, lapses_on=lapses_on, reminded_at=moment
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "dataset.update.remind",
            object_type="dataset",
            object_id=dataset.name,
            detail={
                "version": version.version,
                "frequency": str(frequency),
                "lapses_on": lapses_on.isoformat(),
            },
        )
        notify(
            session,
            staff_of(session, dataset.provider_org_id, [str(Role.PROVIDER)]),
            "dataset.update_due",
            subject=("dataset", dataset.name),
            params={"dataset": dataset.name, "due_on": lapses_on.isoformat()},
            dedupe=f"update_due:{dataset.name}:{lapses_on.isoformat()}",
            now=moment,
        )
        made.append(_reminder(session, row))
    return made


def list_reminders(
    session: Session, actor: Actor, *, dataset: str | None = None
) -> list[UpdateReminder]:
    """Reminders sent, newest first: every one for oversight, its own for a provider."""
    stmt = select(UpdateReminderRow).join(DatasetRow, DatasetRow.id == UpdateReminderRow.dataset_id)
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            raise PermissionDenied("update reminders are for providers and oversight")
        stmt = stmt.where(DatasetRow.provider_org_id == actor.organisation_id)
    if dataset is not None:
        stmt = stmt.where(DatasetRow.id == dataset_row(session, dataset).id)
    rows = session.execute(stmt.order_by(UpdateReminderRow.id.desc())).scalars()
    return [_reminder(session, r) for r in rows]
