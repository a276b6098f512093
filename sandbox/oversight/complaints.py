"""Complaints of infringed privacy or trade secrets, with evidence (Xi'an art. 17; Wuxi
art. 23; Qingdao art. 19; Lianyungang art. 26).

1. Anyone with an account files a complaint against a dataset: what was infringed
   (``privacy`` or ``trade_secret``), a description, evidence as text, and then evidence
   files (at most :data:`MAX_EVIDENCE_FILES` of :data:`MAX_EVIDENCE_BYTES` each, stored
   under ``<var_dir>/evidence``). An answer stage opens for the dataset's provider
   organisation: 10 working days.
2. The provider may suspend the dataset at once
   (:func:`sandbox.oversight.suspensions.suspend`, naming the complaint).
3. The provider answers, with its text and one of ``restore``, ``reprocess`` (a new
   desensitised version) or ``end`` (the dataset is withdrawn for good); the dataset's
   suspension, if one is in force, is resolved the same way. A ``restore`` leaves in
   force a suspension made for *another* complaint that is still open. An ``end`` of a
   dataset that was not suspended withdraws it there and then.

The complainant, providers of the dataset's organisation and oversight see a complaint;
to everyone else it does not exist.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.model import Subject
from sandbox.access.stages import stages_of
from sandbox.catalog.suspension import is_suspended
from sandbox.errors import Conflict, InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.oversight import suspensions
from sandbox.oversight.common import (
    clean_text,
    dataset_by_name,
    dataset_name,
    now_or,
    open_answer_stage,
    org_name,
    record_answer,
    require_answerable,
    username,
    visible_cases,
)
from sandbox.oversight.evidence import (
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_FILES,
    add_evidence,
    attach_evidence,
    can_see,
    evidence_dir,
    evidence_of,
    read_evidence,
    safe_filename,
    visible_complaint,
)
from sandbox.oversight.model import (
    CaseStatus,
    Complaint,
    ComplaintKind,
    Resolution,
)
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import ComplaintEvidenceRow, ComplaintRow, DatasetSuspensionRow
from sandbox.workdays import WorkCalendar

# The evidence of a complaint is kept in sandbox.oversight.evidence; its names are offered
# here too, so a complaint's whole workflow is reached through this module.
__all__ = [
    "MAX_EVIDENCE_BYTES",
    "MAX_EVIDENCE_FILES",
    "add_evidence",
    "answer",
    "answer_complaint",
    "attach_evidence",
    "can_see",
    "complaint_of",
    "evidence_dir",
    "get_complaint",
    "list_complaints",
    "read_evidence",
    "safe_filename",
    "submit",
]

# ---- filing --------------------------------------------------------------------------------


def submit(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    dataset: str,
    kind: str,
    description: str,
    evidence_text: str = "",
    now: datetime | None = None,
) -> Complaint:
    """File a complaint against ``dataset`` (any account); the provider's answer is due
    in 10 working days.
    """
    now = now_or(now)
    if actor.user_id is None:
        raise PermissionDenied("complaints are filed by a named account")
    found = dataset_by_name(session, dataset)
    parsed = parse_enum(ComplaintKind, kind, "kind")
    description = clean_text(description, "description", required=True)
    evidence_text = clean_text(evidence_text, "evidence_text")
    row = ComplaintRow(
        complainant_id=actor.user_id,
        dataset_id=found.id,
        provider_org_id=found.provider_org_id,
        kind=str(parsed),
        description=description,
        evidence_text=evidence_text,
        status=str(CaseStatus.OPEN),
        submitted_at=now,
        updated_at=now,
        outcome="",
        answer="",
    )
    session.add(row)
    session.flush()
    stage = open_answer_stage(session, calendar, Subject.COMPLAINT, row, now)
    audit.record(
        session,
        actor,
        "complaint.submit",
        object_type="complaint",
        object_id=row.id,
        detail={"dataset": found.name, "kind": str(parsed), "answer_due": stage.due_on.isoformat()},
    )
    return complaint_of(session, calendar, row, now)


# ---- the answer ----------------------------------------------------------------------------


def _check_answerable(session: Session, actor: Actor, complaint_id: int) -> ComplaintRow:
    row = visible_complaint(session, actor, complaint_id, lock=True)
    require_answerable(actor, row, label="complaint")
    return row


def _suspension_owner_open(
    session: Session, suspension: DatasetSuspensionRow, complaint_id: int
) -> bool:
    """Whether the suspension was made for another complaint that is still open."""
    if suspension.complaint_id is None or suspension.complaint_id == complaint_id:
        return False
    other = session.get(ComplaintRow, suspension.complaint_id)
    return other is not None and other.status == CaseStatus.OPEN


def answer(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    complaint_id: int,
    *,
    resolution: Resolution,
    text: str,
    new_version: int | None = None,
    now: datetime | None = None,
) -> Complaint:
    """The provider's answer, closing the answer stage and resolving the dataset's
    suspension the same way (see the module docstring).
    """
    now = now_or(now)
    row = _check_answerable(session, actor, complaint_id)
    text = clean_text(text, "answer", required=True)
    if (resolution is Resolution.REPROCESSED) != (new_version is not None):
        raise InvalidRequest(
            "a reprocessing names its new desensitised version, and only a reprocessing does"
        )
    name = dataset_name(session, row.dataset_id)
    current = is_suspended(session, name)
    if current is not None and current.withdrawn and resolution is not Resolution.ENDED:
        raise Conflict(f"dataset {name!r} was withdrawn for good; answer with 'end'")
    if resolution is Resolution.ENDED:
        if current is None:
            suspensions.suspend(
                session,
                actor,
                name,
                reason=f"complaint {row.id}: {text}",
                complaint_id=row.id,
                now=now,
            )
        if current is None or not current.withdrawn:
            suspensions.resolve(session, actor, name, resolution=resolution, note=text, now=now)
    elif current is not None:
        suspension = session.get(DatasetSuspensionRow, current.id)
        assert suspension is not None
        if resolution is Resolution.REPROCESSED or not _suspension_owner_open(
            session, suspension, row.id
        ):
            suspensions.resolve(
                session,
                actor,
                name,
                resolution=resolution,
                note=text,
                new_version=new_version,
                now=now,
            )
    row.new_version = new_version
    record_answer(
        session, actor, Subject.COMPLAINT, row, outcome=str(resolution), text=text, now=now
    )
    audit.record(
        session,
        actor,
        "complaint.answer",
        object_type="complaint",
        object_id=row.id,
        detail={
            "dataset": name,
            "outcome": str(resolution),
            "answer": text,
            "new_version": new_version,
        },
    )
    return complaint_of(session, calendar, row, now)


def answer_complaint(
    platform: Platform,
    actor: Actor,
    complaint_id: int,
    *,
    step: str,
    text: str,
    reprocessing: suspensions.Reprocessing | None = None,
) -> Complaint:
    """:func:`answer` with ``restore``, ``reprocess`` (storing ``reprocessing`` as a new
    desensitised version first) or ``end``.
    """
    resolution = suspensions.parse_step(step)
    calendar = platform.calendar
    if resolution is not Resolution.REPROCESSED:
        if reprocessing is not None:
            raise InvalidRequest("only a reprocessing stores new data (upload_id)")
        with transaction(platform.sessions) as session:
            return answer(session, actor, calendar, complaint_id, resolution=resolution, text=text)
    if reprocessing is None:
        raise InvalidRequest(
            "to reprocess, give the desensitised data (upload_id) and the desensitisation method"
        )
    clean_text(text, "answer", required=True)

    def check(session: Session) -> str:
        row = _check_answerable(session, actor, complaint_id)
        name = dataset_name(session, row.dataset_id)
        current = is_suspended(session, name)
        if current is not None and current.withdrawn:
            raise Conflict(f"dataset {name!r} was withdrawn for good; answer with 'end'")
        return name

    with transaction(platform.sessions) as session:
        name = check(session)
    return suspensions.reprocess(
        platform,
        actor,
        name,
        reprocessing,
        check=check,
        finish=lambda session, version: answer(
            session,
            actor,
            calendar,
            complaint_id,
            resolution=resolution,
            text=text,
            new_version=version,
        ),
    )


# ---- reading -------------------------------------------------------------------------------


def get_complaint(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    complaint_id: int,
    *,
    now: datetime | None = None,
) -> Complaint:
    """One complaint the actor may see (else :class:`NotFound`)."""
    return complaint_of(
        session, calendar, visible_complaint(session, actor, complaint_id), now_or(now)
    )


def list_complaints(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    status: str | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> list[Complaint]:
    """The complaints the actor may see, newest first."""
    stmt = visible_cases(
        session, actor, ComplaintRow, ComplaintRow.complainant_id, status=status, dataset=dataset
    )
    moment = now_or(now)
    return [complaint_of(session, calendar, row, moment) for row in session.execute(stmt).scalars()]


def complaint_of(
    session: Session, calendar: WorkCalendar, row: ComplaintRow, now: datetime
) -> Complaint:
    """A complaint row as the domain sees it."""
    name = dataset_name(session, row.dataset_id)
    evidence = tuple(
        evidence_of(session, e)
        for e in session.execute(
            select(ComplaintEvidenceRow)
            .where(ComplaintEvidenceRow.complaint_id == row.id)
            .order_by(ComplaintEvidenceRow.id)
        ).scalars()
    )
    return Complaint(
        id=row.id,
        complainant=username(session, row.complainant_id) or "?",
        dataset=name,
        provider_org=org_name(session, row.provider_org_id),
        kind=ComplaintKind(row.kind),
        description=row.description,
        evidence_text=row.evidence_text,
        evidence=evidence,
        status=CaseStatus(row.status),
        submitted_at=row.submitted_at,
        outcome=row.outcome,
        answer=row.answer,
        new_version=row.new_version,
        answered_by=username(session, row.answered_by),
        answered_at=row.answered_at,
        dataset_suspended=is_suspended(session, name) is not None,
        stages=stages_of(session, calendar, Subject.COMPLAINT, row.id, now),
    )
