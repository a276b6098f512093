"""Quality duties of the providers (Qingdao art. 14; Wuxi art. 13).

- The annual quality assessment: the authority opens one per dataset and year; the
  provider answers within 10 working days with the latest quality report (the counts of
  the newest passed version's report, never a value); the authority concludes it
  satisfactory, or orders a rectification, a task of its own with a 10-working-day deadline
  that the provider answers with a corrected version (then the authority concludes again).
- Update reminders are :mod:`sandbox.oversight.update_reminders`.

Every step is audited; deadlines are workflow stages, so they appear in the authority's
overdue list and in the statistics' response times; the statistics count assessments by
state and the reminders sent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import Stage, StageKind, Subject
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner
from sandbox.catalog.publication import require_published
from sandbox.catalog.queries import dataset_row, version_row
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import notify, staff_of
from sandbox.oversight.common import clean_text, now_or
from sandbox.store.models import (
    DatasetRow,
    OrganisationRow,
    QualityAssessmentRow,
    UpdateReminderRow,
    UserRow,
    WorkflowStageRow,
)
from sandbox.workdays import WorkCalendar


class AssessmentStatus(enum.StrEnum):
    """Where an annual quality assessment stands."""

    OPEN = "open"
    """Waiting for the provider's answer (10 working days)."""
    ANSWERED = "answered"
    """Answered; waiting for the authority's conclusion."""
    RECTIFICATION = "rectification"
    """The authority ordered a rectification; the provider has 10 working days."""
    SATISFACTORY = "satisfactory"
    """Concluded: the data's quality meets the rules."""


class Conclusion(enum.StrEnum):
    """The authority's conclusion of an answered assessment."""

    SATISFACTORY = "satisfactory"
    RECTIFY = "rectify"


@dataclass(frozen=True)
class QualityAssessment:
    """An annual quality assessment as the provider and oversight see it."""

    id: int
    dataset: str
    provider_org: str
    year: int
    status: AssessmentStatus
    request: str
    opened_by: str
    opened_at: datetime
    answer_version: int | None
    answer_report: dict[str, Any] | None
    answer_note: str
    answered_by: str | None
    answered_at: datetime | None
    conclusion: str
    concluded_by: str | None
    concluded_at: datetime | None
    stages: tuple[Stage, ...]


def _name(session: Session, user_id: int | None) -> str | None:
    user = session.get(UserRow, user_id) if user_id is not None else None
    return user.username if user else None


def _assessment(
    session: Session, calendar: WorkCalendar, row: QualityAssessmentRow, now: datetime
) -> QualityAssessment:
    dataset = session.get(DatasetRow, row.dataset_id)
    org = session.get(OrganisationRow, dataset.provider_org_id) if dataset else None
    return QualityAssessment(
        id=row.id,
        dataset=dataset.name if dataset else "?",
        provider_org=org.name if org else "?",
        year=row.year,
        status=AssessmentStatus(row.status),
        request=row.request,
        opened_by=_name(session, row.opened_by) or "?",
        opened_at=row.opened_at,
        answer_version=row.answer_version,
        answer_report=row.answer_report,
        answer_note=row.answer_note,
        answered_by=_name(session, row.answered_by),
        answered_at=row.answered_at,
        conclusion=row.conclusion,
        concluded_by=_name(session, row.concluded_by),
        concluded_at=row.concluded_at,
        stages=stages_of(session, calendar, Subject.QUALITY_ASSESSMENT, row.id, now),
    )


def _require_authority(actor: Actor, doing: str) -> None:
    if actor.role is not Role.AUTHORITY:
        raise PermissionDenied(f"only the authority may {doing}")


def _row(session: Session, actor: Actor, assessment_id: int) -> QualityAssessmentRow:
    row = session.get(QualityAssessmentRow, assessment_id)
    dataset = session.get(DatasetRow, row.dataset_id) if row is not None else None
    if row is None or dataset is None:
        raise NotFound(f"quality assessment {assessment_id} does not exist")
    if actor.role not in OVERSIGHT_ROLES and not owns(actor, dataset.provider_org_id):
        raise NotFound(f"quality assessment {assessment_id} does not exist")
    return row


def open_assessment(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    name: str,
    *,
    year: int | None = None,
    request: str = "",
    now: datetime | None = None,
) -> QualityAssessment:
    """The authority opens dataset ``name``'s quality assessment of ``year`` (default: this
    year in the calendar); one per dataset and year (Qingdao art. 14: the authority
    assesses the quality of opened data every year).
    """
    _require_authority(actor, "open quality assessments")
    moment = now_or(now)
    this_year = calendar.local_date(moment).year
    year = this_year if year is None else year
    if not this_year - 1 <= year <= this_year:
        raise InvalidRequest(f"year must be {this_year - 1} or {this_year}, not {year}")
    request = clean_text(request, "request", limit=4000)
    row = dataset_row(session, name)
    require_published(session, row, "assess its quality")
    if session.execute(
        select(QualityAssessmentRow.id).where(
            QualityAssessmentRow.dataset_id == row.id, QualityAssessmentRow.year == year
        )
    ).first():
        raise Conflict(f"dataset {name!r} already has a quality assessment for {year}")
    assessment = QualityAssessmentRow(
        dataset_id=row.id,
        year=year,
        status=str(AssessmentStatus.OPEN),
        request=request,
        opened_by=actor.user_id,
        opened_at=moment,
        answer_note="",
        conclusion="",
    )
    session.add(assessment)
    session.flush()
    stage = open_stage(
        session,
        calendar,
        subject=Subject.QUALITY_ASSESSMENT,
        subject_id=assessment.id,
        kind=StageKind.QUALITY_ANSWER,
        assignee_role=str(Role.PROVIDER),
        assignee_org_id=row.provider_org_id,
        now=moment,
    )
    audit.record(
        session,
        actor,
        "quality.assessment.open",
        object_type="dataset",
        object_id=name,
        detail={"assessment_id": assessment.id, "year": year, "due_on": stage.due_on.isoformat()},
    )
    _tell_provider(session, row, "quality_assessment", stage.due_on, moment)
    return _assessment(session, calendar, assessment, moment)


def _tell_provider(
    session: Session, dataset: DatasetRow, task: str, due_on: date, now: datetime
) -> None:
    """Notify the dataset's provider staff of a task it must complete by ``due_on``."""
    notify(
        session,
        staff_of(session, dataset.provider_org_id, [str(Role.PROVIDER)]),
        "task.assigned",
        subject=("dataset", dataset.name),
        params={"dataset": dataset.name, "subject": task, "due_on": due_on.isoformat()},
        now=now,
    )


def _latest_report(
    session: Session, dataset: DatasetRow, version: int | None
) -> tuple[int, dict[str, Any]]:
    stored = version_row(session, dataset, version)
    return stored.version, dict(stored.quality)


def answer_assessment(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    assessment_id: int,
    *,
    version: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> QualityAssessment:
    """The provider answers an open assessment, or a rectification, with the quality report
    of its newest passed version (or of ``version``, which must be passed and, for a
    rectification, newer than the one first answered).
    """
    moment = now_or(now)
    row = _row(session, actor, assessment_id)
    dataset = session.get(DatasetRow, row.dataset_id)
    assert dataset is not None
    require_owner(actor, dataset.provider_org_id, "answer this dataset's quality assessment")
    note = clean_text(note, "note", limit=4000)
    status = AssessmentStatus(row.status)
    if status not in (AssessmentStatus.OPEN, AssessmentStatus.RECTIFICATION):
        raise Conflict(
            f"quality assessment {assessment_id} is {status}: there is nothing to answer"
        )
    number, report = _latest_report(session, dataset, version)
    if status is AssessmentStatus.RECTIFICATION and number <= (row.answer_version or 0):
        raise InvalidRequest(
            f"a rectification is answered with a corrected version newer than version "
            f"{row.answer_version}; register and publish one first"
        )
    kind = StageKind.QUALITY_ANSWER if status is AssessmentStatus.OPEN else StageKind.RECTIFICATION
    close_stage(
        session,
        subject=Subject.QUALITY_ASSESSMENT,
        subject_id=row.id,
        kind=kind,
        closed_by=actor.user_id,
        outcome="answered",
        note=note,
        now=moment,
    )
    row.status = str(AssessmentStatus.ANSWERED)
    row.answer_version, row.answer_report, row.answer_note = number, report, note
    row.answered_by, row.answered_at = actor.user_id, moment
    session.flush()
    audit.record(
        session,
        actor,
        "quality.assessment.answer",
        object_type="dataset",
        object_id=dataset.name,
        detail={"assessment_id": row.id, "version": number, "stage": str(kind)},
    )
    return _assessment(session, calendar, row, moment)


def conclude_assessment(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    assessment_id: int,
    *,
    conclusion: Conclusion,
    note: str = "",
    now: datetime | None = None,
) -> QualityAssessment:
    """The authority concludes an answered assessment: satisfactory, or a rectification
    with its 10-working-day deadline on the provider (Wuxi art. 13; Qingdao art. 14).
    """
    _require_authority(actor, "conclude quality assessments")
    moment = now_or(now)
    row = _row(session, actor, assessment_id)
    note = clean_text(note, "note", required=conclusion is Conclusion.RECTIFY, limit=4000)
    if row.status != str(AssessmentStatus.ANSWERED):
        raise Conflict(
            f"quality assessment {assessment_id} is {row.status}: only an answered one is concluded"
        )
    dataset = session.get(DatasetRow, row.dataset_id)
    assert dataset is not None
    row.conclusion, row.concluded_by, row.concluded_at = note, actor.user_id, moment
    if conclusion is Conclusion.RECTIFY:
        row.status = str(AssessmentStatus.RECTIFICATION)
        stage = open_stage(
            session,
            calendar,
            subject=Subject.QUALITY_ASSESSMENT,
            subject_id=row.id,
            kind=StageKind.RECTIFICATION,
            assignee_role=str(Role.PROVIDER),
            assignee_org_id=dataset.provider_org_id,
            now=moment,
        )
        _tell_provider(session, dataset, "rectification", stage.due_on, moment)
    else:
        row.status = str(AssessmentStatus.SATISFACTORY)
    session.flush()
    audit.record(
        session,
        actor,
        "quality.assessment.conclude",
        object_type="dataset",
        object_id=dataset.name,
        detail={"assessment_id": row.id, "conclusion": str(conclusion), "note": note},
    )
    return _assessment(session, calendar, row, moment)


def get_assessment(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    assessment_id: int,
    *,
    now: datetime | None = None,
) -> QualityAssessment:
    """One assessment (its provider and oversight)."""
    return _assessment(session, calendar, _row(session, actor, assessment_id), now_or(now))


def list_assessments(
    session: Session,
    calendar: WorkCalendar,
    actor: Actor,
    *,
    status: AssessmentStatus | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> list[QualityAssessment]:
    """Assessments, newest first: every one for oversight, the organisation's for a
    provider.
    """
    stmt = select(QualityAssessmentRow).join(
        DatasetRow, DatasetRow.id == QualityAssessmentRow.dataset_id
    )
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            raise PermissionDenied("quality assessments are for providers and oversight")
        stmt = stmt.where(DatasetRow.provider_org_id == actor.organisation_id)
    if status is not None:
        stmt = stmt.where(QualityAssessmentRow.status == str(status))
    if dataset is not None:
        stmt = stmt.where(DatasetRow.id == dataset_row(session, dataset).id)
    moment = now_or(now)
    rows = session.execute(stmt.order_by(QualityAssessmentRow.id.desc())).scalars()
    return [_assessment(session, calendar, r, moment) for r in rows]


# --- statistics ---------------------------------------------------------------------------------


def quality_counts(session: Session, calendar: WorkCalendar, now: datetime) -> dict[str, int]:
    """Assessments by state, those past a deadline, and update reminders sent (statistics)."""
    counts = dict.fromkeys([*(str(s) for s in AssessmentStatus), "overdue", "reminders"], 0)
    for status, count in session.execute(
        select(QualityAssessmentRow.status, func.count()).group_by(QualityAssessmentRow.status)
    ):
        counts[str(status)] = int(count)
    counts["overdue"] = int(
        session.execute(
            select(func.count()).where(
                WorkflowStageRow.subject_type == str(Subject.QUALITY_ASSESSMENT),
                WorkflowStageRow.closed_at.is_(None),
                WorkflowStageRow.due_on < calendar.local_date(now),
            )
        ).scalar_one()
    )
    counts["reminders"] = int(
        session.execute(select(func.count()).select_from(UpdateReminderRow)).scalar_one()
    )
    return counts
