"""The deadline sweep: tell assignees a step is due soon, and that it is overdue.

Every workflow stage (applications, requests for data, complaints, objections,
re-reviews) carries its deadline in working days (Qingdao art. 17-19; Wuxi art. 9, 15;
Chengdu art. 34, 41). The sweep notifies a stage's assignees once when it comes within
``deadline_notice_working_days`` working days of its last day and once when that day has
passed (the authority too, which supervises response times: Chengdu art. 41; Lianyungang
art. 37), and a grant's holder once before the grant ends. Each notice carries a dedupe
key, so the sweep may run as often as wanted (the server's loop, ``sandbox notifications
sweep``) and never repeats one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest
from sandbox.notifications.inbox import notify
from sandbox.notifications.recipients import holders_of_role, staff_of
from sandbox.store.models import GrantRow, WorkflowStageRow
from sandbox.workdays import WorkCalendar

log = logging.getLogger(__name__)

AUTHORITY = "authority"
PROVIDER_STAFF = ("provider",)


ExtraSweep = Callable[[Session, WorkCalendar, int, datetime], int]
"""A reminder sweep of a workflow above this package (the usage reports' reminders):
``(session, calendar, notice_days, now) -> new notices``; the app and the CLI pass them in."""


@dataclass(frozen=True)
class SweepReport:
    """Notifications one sweep created (0 when it had already told everyone)."""

    approaching: int
    passed: int
    grants_ending: int
    reminders: int = 0


def _assignees(session: Session, row: WorkflowStageRow) -> list[int]:
    if row.assignee_role == AUTHORITY:
        if row.assignee_org_id is not None:
            found = staff_of(session, row.assignee_org_id, [AUTHORITY])
            if found:
                return found
        return holders_of_role(session, AUTHORITY)
    return staff_of(session, row.assignee_org_id, PROVIDER_STAFF)


def sweep_deadlines(
    session: Session,
    calendar: WorkCalendar,
    *,
    notice_days: int,
    now: datetime | None = None,
    extra: Sequence[ExtraSweep] = (),
) -> SweepReport:
    """Notify every open stage's assignees that are due for a notice, in ``session``, then
    run the ``extra`` reminder sweeps.
    """
    if not 0 <= notice_days <= 30:
        raise InvalidRequest("the notice must be from 0 to 30 working days")
    moment = now or utc_now()
    today = calendar.local_date(moment)
    approaching = passed = 0
    rows = session.execute(
        select(WorkflowStageRow)
        .where(WorkflowStageRow.closed_at.is_(None))
        .order_by(WorkflowStageRow.due_on, WorkflowStageRow.id)
    ).scalars()
    for row in list(rows):
        params: dict[str, str | int] = {
            "subject": row.subject_type,
            "id": row.subject_id,
            "stage": row.stage,
            "due_on": row.due_on.isoformat(),
        }
        about = (row.subject_type, row.subject_id)
        if row.due_on < today:
            told = _assignees(session, row)
            if row.assignee_role != AUTHORITY:
                told += holders_of_role(session, AUTHORITY)
            passed += len(
                notify(
                    session,
                    told,
                    "deadline.passed",
                    subject=about,
                    params=params,
                    dedupe=f"stage:{row.id}:passed",
                    now=moment,
                )
            )
            continue
        left = calendar.working_days_between(today, row.due_on)
        if notice_days and left <= notice_days:
            approaching += len(
                notify(
                    session,
                    _assignees(session, row),
                    "deadline.approaching",
                    subject=about,
                    params={**params, "days": left},
                    dedupe=f"stage:{row.id}:approaching",
                    now=moment,
                )
            )
    ending = _grants_ending(session, calendar, notice_days, moment)
    reminders = sum(sweep(session, calendar, notice_days, moment) for sweep in extra)
    if approaching or passed or ending or reminders:
        log.info(
            "deadline sweep: %d approaching, %d passed, %d grants ending, %d reminders",
            approaching,
            passed,
            ending,
            reminders,
        )
    return SweepReport(
        approaching=approaching, passed=passed, grants_ending=ending, reminders=reminders
    )


def _grants_ending(
    session: Session, calendar: WorkCalendar, notice_days: int, moment: datetime
) -> int:
    if not notice_days:
        return 0
    today = calendar.local_date(moment)
    made = 0
    rows = session.execute(
        select(GrantRow).where(GrantRow.status == "active", GrantRow.valid_until > moment)
    ).scalars()
    for grant in list(rows):
        last_day = calendar.local_date(grant.valid_until - timedelta(microseconds=1))
        if calendar.working_days_between(today, last_day) > notice_days:
            continue
        made += len(
            notify(
                session,
                [grant.holder_id],
                "grant.expiring",
                subject=("grant", grant.ref),
                params={
                    "id": grant.ref,
                    "datasets": ", ".join(grant.datasets),
                    "due_on": last_day.isoformat(),
                },
                dedupe=f"grant:{grant.id}:ending",
                now=moment,
            )
        )
    return made
