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

import hashlib
import re
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.model import StageKind, Subject
from sandbox.access.stages import close_stage, open_stage, stages_of
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner
from sandbox.catalog.suspension import is_suspended
from sandbox.config import Settings
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied, UploadTooLarge
from sandbox.identity.model import Actor
from sandbox.oversight import suspensions
from sandbox.oversight.common import (
    clean_text,
    dataset_by_name,
    dataset_name,
    now_or,
    org_name,
    username,
    visible_cases,
)
from sandbox.oversight.model import (
    CaseStatus,
    Complaint,
    ComplaintKind,
    Evidence,
    Resolution,
)
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import ComplaintEvidenceRow, ComplaintRow, DatasetSuspensionRow
from sandbox.workdays import WorkCalendar

MAX_EVIDENCE_BYTES = 2 * 1024 * 1024
"""Largest evidence file (2 MiB): screenshots and documents, not data dumps."""
MAX_EVIDENCE_FILES = 10
"""Most evidence files one complaint holds."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def evidence_dir(settings: Settings) -> Path:
    """Where evidence files are kept: ``<var_dir>/evidence``."""
    return (settings.var_dir / "evidence").resolve()


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
    stage = open_stage(
        session,
        calendar,
        subject=Subject.COMPLAINT,
        subject_id=row.id,
        kind=StageKind.ANSWER,
        assignee_role="provider",
        assignee_org_id=found.provider_org_id,
        now=now,
    )
    audit.record(
        session,
        actor,
        "complaint.submit",
        object_type="complaint",
        object_id=row.id,
        detail={"dataset": found.name, "kind": str(parsed), "answer_due": stage.due_on.isoformat()},
    )
    return complaint_of(session, calendar, row, now)


def _visible(
    session: Session, actor: Actor, complaint_id: int, *, lock: bool = False
) -> ComplaintRow:
    row = session.get(ComplaintRow, complaint_id, with_for_update=lock)
    if row is None or not can_see(actor, row):
        raise NotFound(f"complaint {complaint_id} does not exist")
    return row


def safe_filename(filename: str) -> str:
    """A file name that is safe in a header and on disk."""
    cleaned = _SAFE_NAME.sub("_", filename.strip())[:100].strip("._")
    return cleaned or "evidence.bin"


def add_evidence(
    session: Session,
    actor: Actor,
    directory: Path,
    complaint_id: int,
    *,
    filename: str,
    content: bytes,
    now: datetime | None = None,
) -> tuple[Evidence, Path]:
    """Attach an evidence file to an open complaint (its complainant); returns the record
    and where the bytes were written, which the caller deletes if its transaction fails.
    """
    now = now_or(now)
    row = _visible(session, actor, complaint_id, lock=True)
    if row.complainant_id != actor.user_id:
        raise PermissionDenied("only the complainant attaches evidence to a complaint")
    if row.status != CaseStatus.OPEN:
        raise Conflict(f"complaint {complaint_id} was answered; it takes no more evidence")
    if not content:
        raise InvalidRequest("the evidence file is empty")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise UploadTooLarge(f"an evidence file may hold at most {MAX_EVIDENCE_BYTES} bytes")
    count = session.execute(
        select(func.count())
        .select_from(ComplaintEvidenceRow)
        .where(ComplaintEvidenceRow.complaint_id == row.id)
    ).scalar_one()
    if count >= MAX_EVIDENCE_FILES:
        raise Conflict(f"a complaint holds at most {MAX_EVIDENCE_FILES} evidence files")
    storage_name = f"{uuid.uuid4().hex}.evidence"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / storage_name
    path.write_bytes(content)
    try:
        record = ComplaintEvidenceRow(
            complaint_id=row.id,
            filename=safe_filename(filename),
            byte_size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            storage_name=storage_name,
            uploaded_by=actor.user_id,
            uploaded_at=now,
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            actor,
            "complaint.evidence.add",
            object_type="complaint",
            object_id=row.id,
            detail={
                "evidence_id": record.id,
                "filename": record.filename,
                "bytes": record.byte_size,
                "sha256": record.sha256,
            },
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _evidence_of(session, record), path


def attach_evidence(
    platform: Platform, actor: Actor, complaint_id: int, *, filename: str, content: bytes
) -> Evidence:
    """:func:`add_evidence` in its own transaction; the file is removed if it fails."""
    path: Path | None = None
    try:
        with transaction(platform.sessions) as session:
            evidence, path = add_evidence(
                session,
                actor,
                evidence_dir(platform.settings),
                complaint_id,
                filename=filename,
                content=content,
            )
        return evidence
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise


def read_evidence(
    session: Session, actor: Actor, directory: Path, complaint_id: int, evidence_id: int
) -> tuple[Evidence, bytes]:
    """An evidence file's record and bytes (whoever sees the complaint); the read is
    audited.
    """
    row = _visible(session, actor, complaint_id)
    record = session.get(ComplaintEvidenceRow, evidence_id)
    if record is None or record.complaint_id != row.id:
        raise NotFound(f"complaint {complaint_id} has no evidence {evidence_id}")
    path = directory / record.storage_name
    if not path.is_file():
        raise NotFound(f"the file of evidence {evidence_id} is missing from the server")
    content = path.read_bytes()
    audit.record(
        session,
        actor,
        "complaint.evidence.read",
        object_type="complaint",
        object_id=row.id,
        detail={"evidence_id": record.id},
    )
    return _evidence_of(session, record), content


# ---- the answer ----------------------------------------------------------------------------


def _check_answerable(session: Session, actor: Actor, complaint_id: int) -> ComplaintRow:
    row = _visible(session, actor, complaint_id, lock=True)
    require_owner(actor, row.provider_org_id, "answer complaints about its datasets")
    if row.status != CaseStatus.OPEN:
        raise Conflict(f"complaint {complaint_id} was already answered")
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
    row.status = str(CaseStatus.ANSWERED)
    row.outcome = str(resolution)
    row.answer = text
    row.new_version = new_version
    row.answered_by = actor.user_id
    row.answered_at = now
    row.updated_at = now
    close_stage(
        session,
        subject=Subject.COMPLAINT,
        subject_id=row.id,
        kind=StageKind.ANSWER,
        closed_by=actor.user_id,
        outcome=str(resolution),
        note=text,
        now=now,
    )
    session.flush()
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


def can_see(actor: Actor, row: ComplaintRow) -> bool:
    """The complainant, providers of the dataset's organisation, and oversight."""
    return (
        row.complainant_id == actor.user_id
        or owns(actor, row.provider_org_id)
        or actor.role in OVERSIGHT_ROLES
    )


def get_complaint(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    complaint_id: int,
    *,
    now: datetime | None = None,
) -> Complaint:
    """One complaint the actor may see (else :class:`NotFound`)."""
    return complaint_of(session, calendar, _visible(session, actor, complaint_id), now_or(now))


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


def _evidence_of(session: Session, row: ComplaintEvidenceRow) -> Evidence:
    return Evidence(
        id=row.id,
        complaint_id=row.complaint_id,
        filename=row.filename,
        byte_size=row.byte_size,
        sha256=row.sha256,
        uploaded_by=username(session, row.uploaded_by) or "?",
        uploaded_at=row.uploaded_at,
    )


def complaint_of(
    session: Session, calendar: WorkCalendar, row: ComplaintRow, now: datetime
) -> Complaint:
    """A complaint row as the domain sees it."""
    name = dataset_name(session, row.dataset_id)
    evidence = tuple(
        _evidence_of(session, e)
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
