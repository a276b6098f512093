"""The authority's list of items past their deadline (Chengdu art. 41; Lianyungang art. 37:
response times against the deadlines): applications, requests for unopened data, and the
answers owed to complaints, objections and public reports, and the catalog updates owed
after a change of law (Chengdu art. 14).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from sandbox.access.model import OverdueItem, Subject
from sandbox.access.stages import overdue_rows, stage_of
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.store.models import (
    ApplicationRow,
    ComplaintRow,
    DatasetRow,
    DatasetVersionRow,
    DemandRow,
    LawChangeRow,
    LawChangeTaskRow,
    ObjectionRow,
    PublicReportRow,
    QualityAssessmentRow,
)
from sandbox.workdays import WorkCalendar

TITLE_CHARS = 120
"""How much of a request's text stands as its title in the list."""


def _governance_item(session: Session, subject: Subject, subject_id: int) -> tuple[str, str]:
    """Title and status of a submitted version's review or a quality assessment's step."""
    if subject is Subject.DATASET_VERSION:
        version = session.get(DatasetVersionRow, subject_id)
        dataset = session.get(DatasetRow, version.dataset_id) if version else None
        if version is None or dataset is None:
            return "?", "?"
        return f"dataset {dataset.name} version {version.version}", version.review_status
    assessment = session.get(QualityAssessmentRow, subject_id)
    dataset = session.get(DatasetRow, assessment.dataset_id) if assessment else None
    if assessment is None or dataset is None:
        return "?", "?"
    return f"quality of {dataset.name} in {assessment.year}", assessment.status


def list_overdue(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    on: date | None = None,
    now: datetime | None = None,
) -> list[OverdueItem]:
    """Open stages whose deadline passed before ``on`` (default: today in the calendar's
    zone), the most overdue first. The authority, auditors and admins may read it.
    """
    if actor.role not in OVERSIGHT_ROLES:
        raise PermissionDenied("the overdue list is for the authority and oversight")
    if on is not None and not date(1900, 1, 1) <= on <= date(9000, 12, 31):
        raise InvalidRequest("on must be a date between 1900 and 9000")
    moment = calendar.start_of_day(on) if on is not None else (now or utc_now())
    today = calendar.local_date(moment)
    items = []
    for row in overdue_rows(session, today):
        stage = stage_of(session, calendar, row, moment)
        title, status = "?", "?"
        if stage.subject is Subject.APPLICATION:
            application = session.get(ApplicationRow, row.subject_id)
            if application is not None:
                title, status = application.title, application.status
        elif stage.subject is Subject.DEMAND:
            demand = session.get(DemandRow, row.subject_id)
            if demand is not None:
                title, status = demand.description[:TITLE_CHARS], demand.status
        elif stage.subject in (Subject.DATASET_VERSION, Subject.QUALITY_ASSESSMENT):
            title, status = _governance_item(session, stage.subject, row.subject_id)
        elif stage.subject is Subject.LAW_CHANGE_TASK:
            task = session.get(LawChangeTaskRow, row.subject_id)
            change = session.get(LawChangeRow, task.law_change_id) if task else None
            if task is not None and change is not None:
                dataset = session.get(DatasetRow, task.dataset_id)
                title = f"catalog update of {dataset.name if dataset else '?'}: {change.citation}"
                title, status = title[:TITLE_CHARS], task.status
        elif stage.subject is Subject.PUBLIC_REPORT:
            report = session.get(PublicReportRow, row.subject_id)
            if report is not None:
                title = f"{report.kind} report: {report.description}"[:TITLE_CHARS]
                status = report.status
        else:
            case: ComplaintRow | ObjectionRow | None = (
                session.get(ComplaintRow, row.subject_id)
                if stage.subject is Subject.COMPLAINT
                else session.get(ObjectionRow, row.subject_id)
            )
            if case is not None:
                dataset = session.get(DatasetRow, case.dataset_id)
                about = f"{stage.subject} about {dataset.name if dataset else '?'}: "
                title, status = (about + case.description)[:TITLE_CHARS], case.status
        items.append(OverdueItem(stage=stage, title=title, status=status))
    return items
