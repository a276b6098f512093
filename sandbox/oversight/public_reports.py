"""Public reports of misuse and of security problems (Lianyungang art. 38; Wuxi art. 17).

Lianyungang art. 38: citizens, legal persons and other organisations may report unlawful
or improper use of public data. Wuxi art. 17: users report data-security problems they find
to the authority and to the data's provider. So:

1. anyone files a report, signed in or not (a visitor leaves a contact so the answer can
   reach it; credential-less requests are rate-limited by address): ``misuse`` of a dataset
   or of a published data product, or a ``security`` problem (of a dataset, a product, or
   the platform itself);
2. it is routed to the dataset's provider organisation (a product's, when all its sources
   are one organisation's) and to the authority, who see it with the reporter's contact;
   an answer is due in :data:`~sandbox.access.model.STAGE_WORKING_DAYS` working days
   (10, as a complaint's: the rules name no figure of their own), and both are notified;
3. the provider or the authority answers: ``unfounded`` or ``resolved`` with its text;
   the authority may instead open a complaint about the dataset
   (:mod:`sandbox.oversight.complaints`, outcome ``complaint``), and the provider may ask
   the user the report names to rectify, suspending its grants on the provider's data
   (:mod:`sandbox.oversight.enforcement`, outcome ``rectification``). The report keeps the
   link to the case it opened, and a signed-in reporter is notified of the answer.

A signed-in reporter sees its own reports; the provider organisation and oversight see
the ones routed to them; to anyone else a report does not exist.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.model import Stage, StageKind, Subject
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.catalog.publication import is_published, sees_unpublished
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.notifications import holders_of_role, notify, staff_of
from sandbox.oversight import complaints, enforcement
from sandbox.oversight.common import (
    clean_text,
    dataset_by_name,
    dataset_name,
    now_or,
    org_name,
    username,
)
from sandbox.store.models import (
    DataProductRow,
    DatasetRow,
    PublicReportRow,
    UserRow,
    WorkflowStageRow,
)
from sandbox.workdays import WorkCalendar

VISITOR = Actor(user_id=None, username="(visitor)", role=Role.USER)
"""Who a report filed without signing in is audited as."""
_CONTACT = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$|^\+?[0-9][0-9 ()-]{5,30}$")


class ReportKind(enum.StrEnum):
    """What a public report is about."""

    MISUSE = "misuse"
    """Unlawful or improper use of a dataset or a data product (Lianyungang art. 38)."""
    SECURITY = "security"
    """A data-security problem (Wuxi art. 17)."""


class ReportStatus(enum.StrEnum):
    """Where a public report stands."""

    OPEN = "open"
    ANSWERED = "answered"


class ReportOutcome(enum.StrEnum):
    """How a report was answered."""

    UNFOUNDED = "unfounded"
    RESOLVED = "resolved"
    """Handled; the answer says how."""
    COMPLAINT = "complaint"
    """The authority opened a complaint about the dataset."""
    RECTIFICATION = "rectification"
    """The provider asked the user it names to rectify (its grants are suspended)."""


@dataclass(frozen=True)
class PublicReport:
    """A public report as its readers see it."""

    id: int
    kind: ReportKind
    dataset: str | None
    product_id: int | None
    provider_org: str | None
    description: str
    reporter: str | None
    """The reporter's account; ``None`` for a visitor."""
    contact: str
    status: ReportStatus
    submitted_at: datetime
    outcome: str
    answer: str
    answered_by: str | None
    answered_at: datetime | None
    complaint_id: int | None
    rectified_user_id: int | None
    stages: tuple[Stage, ...]

    @property
    def current_stage(self) -> Stage | None:
        """The answer stage while it is open."""
        return next((s for s in self.stages if s.closed_at is None), None)


# ---- filing --------------------------------------------------------------------------------


def _product_org(session: Session, product: DataProductRow) -> int | None:
    names = [s["dataset"] for s in product.sources]
    orgs = set(
        session.execute(
            select(DatasetRow.provider_org_id).where(DatasetRow.name.in_(names))
        ).scalars()
    )
    return orgs.pop() if len(orgs) == 1 else None


def submit(
    session: Session,
    actor: Actor | None,
    calendar: WorkCalendar,
    *,
    kind: str,
    description: str,
    dataset: str | None = None,
    product_id: int | None = None,
    contact: str = "",
    now: datetime | None = None,
) -> PublicReport:
    """File a report (``actor`` ``None``: a visitor, who must leave a contact); its answer
    is due in 10 working days.
    """
    now = now_or(now)
    parsed = parse_enum(ReportKind, kind, "kind")
    description = clean_text(description, "description", required=True)
    contact = clean_text(contact, "contact", limit=200)
    if actor is not None and actor.user_id is None:
        raise PermissionDenied("reports are filed by an account or by a visitor")
    if actor is None and not contact:
        raise InvalidRequest(
            "a report without signing in needs a contact (an e-mail address or a phone number)"
        )
    if contact and not _CONTACT.match(contact):
        raise InvalidRequest("contact must be an e-mail address or a phone number")
    if dataset is not None and product_id is not None:
        raise InvalidRequest("a report is about one dataset or one data product, not both")
    if parsed is ReportKind.MISUSE and dataset is None and product_id is None:
        raise InvalidRequest("a report of misuse names the dataset or the data product misused")
    dataset_id: int | None = None
    org_id: int | None = None
    if dataset is not None:
        found = dataset_by_name(session, dataset)
        if not is_published(session, found) and (
            actor is None or not sees_unpublished(actor, found.provider_org_id)
        ):
            raise NotFound(f"dataset {dataset!r} does not exist")
        dataset_id, org_id = found.id, found.provider_org_id
    if product_id is not None:
        product = session.get(DataProductRow, product_id)
        if product is None:
            raise NotFound(f"data product {product_id} does not exist")
        org_id = _product_org(session, product)
    row = PublicReportRow(
        kind=str(parsed),
        dataset_id=dataset_id,
        product_id=product_id,
        provider_org_id=org_id,
        description=description,
        reporter_id=actor.user_id if actor else None,
        contact=contact,
        status=str(ReportStatus.OPEN),
        submitted_at=now,
        updated_at=now,
        outcome="",
        answer="",
    )
    session.add(row)
    session.flush()
    stage = open_stage(
        session,
        calendar,
        subject=Subject.PUBLIC_REPORT,
        subject_id=row.id,
        kind=StageKind.REPORT_ANSWER,
        assignee_role="provider" if org_id is not None else "authority",
        assignee_org_id=org_id,
        now=now,
    )
    notify(
        session,
        [
            *staff_of(session, org_id, ["provider"]),
            *holders_of_role(session, str(Role.AUTHORITY)),
        ],
        "case.received",
        subject=(str(Subject.PUBLIC_REPORT), row.id),
        params={
            "subject": str(Subject.PUBLIC_REPORT),
            "id": row.id,
            "dataset": dataset or (f"product {product_id}" if product_id else "-"),
            "due_on": stage.due_on.isoformat(),
        },
    )
    audit.record(
        session,
        actor or VISITOR,
        "public_report.submit",
        object_type="public_report",
        object_id=row.id,
        detail={
            "kind": str(parsed),
            "dataset": dataset,
            "product_id": product_id,
            "routed_to": org_name(session, org_id) if org_id is not None else "authority",
            "contact_given": bool(contact),
            "answer_due": stage.due_on.isoformat(),
        },
    )
    return report_of(session, calendar, row, now)


# ---- the answer ----------------------------------------------------------------------------


def answer(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    report_id: int,
    *,
    outcome: str,
    text: str,
    complaint_kind: str | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> PublicReport:
    """Answer a report (the provider it was routed to, or the authority); see the module
    docstring for the outcomes that open a complaint or an enforcement case.
    """
    now = now_or(now)
    row = _visible(session, actor, report_id, lock=True)
    is_provider = row.provider_org_id is not None and owns(actor, row.provider_org_id)
    if actor.role is not Role.AUTHORITY and not is_provider:
        raise PermissionDenied(
            "only the provider the report was routed to, or the authority, answers it"
        )
    if row.status != ReportStatus.OPEN:
        raise Conflict(f"public report {report_id} was already answered")
    parsed = parse_enum(ReportOutcome, outcome, "outcome")
    text = clean_text(text, "answer", required=True)
    if (parsed is ReportOutcome.COMPLAINT) != (complaint_kind is not None):
        raise InvalidRequest("complaint_kind goes with the outcome complaint, and only with it")
    if (parsed is ReportOutcome.RECTIFICATION) != (user_id is not None):
        raise InvalidRequest("user_id goes with the outcome rectification, and only with it")
    if parsed is ReportOutcome.COMPLAINT:
        if actor.role is not Role.AUTHORITY:
            raise PermissionDenied("the authority opens a complaint from a report")
        if row.dataset_id is None:
            raise InvalidRequest("a complaint is about a dataset; this report names none")
        assert complaint_kind is not None
        opened = complaints.submit(
            session,
            actor,
            calendar,
            dataset=dataset_name(session, row.dataset_id),
            kind=complaint_kind,
            description=f"From public report {row.id}: {row.description}",
            evidence_text=text,
            now=now,
        )
        row.complaint_id = opened.id
    if parsed is ReportOutcome.RECTIFICATION:
        if not is_provider:
            raise PermissionDenied("the provider of the data asks its users to rectify")
        assert user_id is not None
        if session.get(UserRow, user_id) is None:
            raise InvalidRequest(f"user {user_id} does not exist")
        enforcement.request_rectification(
            session, actor, user_id=user_id, reason=f"public report {row.id}: {text}", now=now
        )
        row.rectified_user_id = user_id
    row.status = str(ReportStatus.ANSWERED)
    row.outcome = str(parsed)
    row.answer = text
    row.answered_by = actor.user_id
    row.answered_at = now
    row.updated_at = now
    close_stage(
        session,
        subject=Subject.PUBLIC_REPORT,
        subject_id=row.id,
        kind=StageKind.REPORT_ANSWER,
        closed_by=actor.user_id,
        outcome=str(parsed),
        note=text,
        now=now,
    )
    notify(
        session,
        [row.reporter_id],
        "case.answered",
        subject=(str(Subject.PUBLIC_REPORT), row.id),
        params={
            "subject": str(Subject.PUBLIC_REPORT),
            "id": row.id,
            "dataset": dataset_name(session, row.dataset_id) if row.dataset_id else "-",
        },
    )
    audit.record(
        session,
        actor,
        "public_report.answer",
        object_type="public_report",
        object_id=row.id,
        detail={
            "outcome": str(parsed),
            "answer": text,
            "complaint_id": row.complaint_id,
            "rectified_user_id": row.rectified_user_id,
        },
    )
    return report_of(session, calendar, row, now)


# ---- reading -------------------------------------------------------------------------------


def _sees(actor: Actor, row: PublicReportRow) -> bool:
    return (
        actor.role in OVERSIGHT_ROLES
        or (row.reporter_id is not None and row.reporter_id == actor.user_id)
        or (row.provider_org_id is not None and owns(actor, row.provider_org_id))
    )


def _visible(
    session: Session, actor: Actor, report_id: int, *, lock: bool = False
) -> PublicReportRow:
    row = session.get(PublicReportRow, report_id, with_for_update=lock)
    if row is None or not _sees(actor, row):
        raise NotFound(f"public report {report_id} does not exist")
    return row


def get_report(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    report_id: int,
    *,
    now: datetime | None = None,
) -> PublicReport:
    """One report ``actor`` sees (its reporter, the provider it was routed to, oversight)."""
    return report_of(session, calendar, _visible(session, actor, report_id), now_or(now))


def list_reports(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: str | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> list[PublicReport]:
    """The reports ``actor`` sees, newest first."""
    stmt = select(PublicReportRow).order_by(PublicReportRow.id.desc())
    if status is not None:
        stmt = stmt.where(PublicReportRow.status == str(parse_enum(ReportStatus, status, "status")))
    if kind is not None:
        stmt = stmt.where(PublicReportRow.kind == str(parse_enum(ReportKind, kind, "kind")))
    if actor.role not in OVERSIGHT_ROLES:
        mine = PublicReportRow.reporter_id == actor.user_id
        if actor.role is Role.PROVIDER and actor.organisation_id is not None:
            mine = mine | (PublicReportRow.provider_org_id == actor.organisation_id)
        stmt = stmt.where(mine)
    moment = now_or(now)
    return [report_of(session, calendar, r, moment) for r in session.execute(stmt).scalars()]


def report_figures(session: Session, calendar: WorkCalendar, now: datetime) -> tuple[int, int, int]:
    """(open, overdue, answered) reports, for the statistics."""
    today = calendar.local_date(now)
    counts = dict(
        session.execute(
            select(PublicReportRow.status, func.count()).group_by(PublicReportRow.status)
        ).all()
    )
    overdue = session.execute(
        select(func.count())
        .select_from(PublicReportRow)
        .join(
            WorkflowStageRow,
            (WorkflowStageRow.subject_type == str(Subject.PUBLIC_REPORT))
            & (WorkflowStageRow.subject_id == PublicReportRow.id),
        )
        .where(
            PublicReportRow.status == str(ReportStatus.OPEN),
            WorkflowStageRow.closed_at.is_(None),
            WorkflowStageRow.due_on < today,
        )
    ).scalar_one()
    return (
        int(counts.get(str(ReportStatus.OPEN), 0)),
        int(overdue),
        int(counts.get(str(ReportStatus.ANSWERED), 0)),
    )


def report_of(
    session: Session, calendar: WorkCalendar, row: PublicReportRow, now: datetime
) -> PublicReport:
    """A report row as the domain sees it."""
    return PublicReport(
        id=row.id,
        kind=ReportKind(row.kind),
        dataset=dataset_name(session, row.dataset_id) if row.dataset_id is not None else None,
        product_id=row.product_id,
        provider_org=org_name(session, row.provider_org_id)
        if row.provider_org_id is not None
        else None,
        description=row.description,
        reporter=username(session, row.reporter_id),
        contact=row.contact,
        status=ReportStatus(row.status),
        submitted_at=row.submitted_at,
        outcome=row.outcome,
        answer=row.answer,
        answered_by=username(session, row.answered_by),
        answered_at=row.answered_at,
        complaint_id=row.complaint_id,
        rectified_user_id=row.rectified_user_id,
        stages=stages_of(session, calendar, Subject.PUBLIC_REPORT, row.id, now),
    )
