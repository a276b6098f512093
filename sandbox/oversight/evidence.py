"""Evidence files of a complaint: attached by its complainant while it is open, read by
whoever sees it (see :mod:`sandbox.oversight.complaints`).

The bytes are kept under ``<var_dir>/evidence`` by a random name, the record (name, size,
SHA-256) in the metadata store; a file written for a transaction that fails is removed.
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
from sandbox.config import Settings
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied, UploadTooLarge
from sandbox.identity.model import Actor
from sandbox.oversight.common import now_or, sees_case, username, visible_case
from sandbox.oversight.model import CaseStatus, Evidence
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import ComplaintEvidenceRow, ComplaintRow

MAX_EVIDENCE_BYTES = 2 * 1024 * 1024
"""Largest evidence file (2 MiB): screenshots and documents, not data dumps."""
MAX_EVIDENCE_FILES = 10
"""Most evidence files one complaint holds."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def evidence_dir(settings: Settings) -> Path:
    """Where evidence files are kept: ``<var_dir>/evidence``."""
    return (settings.var_dir / "evidence").resolve()


def can_see(actor: Actor, row: ComplaintRow) -> bool:
    """The complainant, providers of the dataset's organisation, and oversight."""
    return sees_case(actor, row.complainant_id, row.provider_org_id)


def visible_complaint(
    session: Session, actor: Actor, complaint_id: int, *, lock: bool = False
) -> ComplaintRow:
    """The complaint ``complaint_id`` if ``actor`` sees it, else :class:`NotFound`."""
    return visible_case(
        session, actor, ComplaintRow, complaint_id, label="complaint", can_see=can_see, lock=lock
    )


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
    row = visible_complaint(session, actor, complaint_id, lock=True)
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
    return evidence_of(session, record), path


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
    row = visible_complaint(session, actor, complaint_id)
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
    return evidence_of(session, record), content


def evidence_of(session: Session, row: ComplaintEvidenceRow) -> Evidence:
    """An evidence row as the domain sees it."""
    return Evidence(
        id=row.id,
        complaint_id=row.complaint_id,
        filename=row.filename,
        byte_size=row.byte_size,
        sha256=row.sha256,
        uploaded_by=username(session, row.uploaded_by) or "?",
        uploaded_at=row.uploaded_at,
    )
