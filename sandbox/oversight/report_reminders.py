"""Reminders of the usage and risk reports a grant's holder owes (Qingdao art. 7; Xi'an
art. 25): the deadline sweep tells the holder once when a report comes within the notice's
working days of its due day, and once when that day passed without one.

It runs with the notifications' deadline sweep (the server's loop and ``sandbox
notifications sweep``), which cannot call up into oversight itself: the app and the CLI
hand it this function.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.notifications import notify
from sandbox.oversight.reports import OWING_STATUSES, due_for
from sandbox.store.models import GrantRow
from sandbox.workdays import WorkCalendar


def remind_reports(
    session: Session, calendar: WorkCalendar, notice_days: int, now: datetime
) -> int:
    """Notify holders of reports due soon or overdue; returns how many notices were new."""
    grants = session.execute(
        select(GrantRow).where(
            GrantRow.status.in_([str(s) for s in OWING_STATUSES]),
            GrantRow.accepted_at.is_not(None),
        )
    ).scalars()
    by_id = {grant.id: grant for grant in grants}
    today = calendar.local_date(now)
    made = 0
    for due in due_for(session, calendar, by_id.values(), now):
        grant = by_id[due.grant_id]
        if due.missing:
            key = "report.overdue"
        elif notice_days and calendar.working_days_between(today, due.due_on) <= notice_days:
            key = "report.due"
        else:
            continue
        made += len(
            notify(
                session,
                [grant.holder_id],
                key,
                subject=("grant", grant.ref),
                params={"id": grant.ref, "stage": str(due.kind), "due_on": due.due_on.isoformat()},
                dedupe=f"report:{grant.id}:{due.kind}:{due.due_on.isoformat()}:{key}",
                now=now,
            )
        )
    return made
