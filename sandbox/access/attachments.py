"""Proof attachments of an application (Qingdao art. 17: the application carries the
materials that prove what it states).

The applicant attaches files while the application is under review (submitted, returned
for amendment, or with the provider): at most :data:`MAX_ATTACHMENTS` of
:data:`MAX_ATTACHMENT_BYTES` each, of the kinds in :data:`MEDIA_TYPES`, recognised from
their content (a name or a header cannot pass an executable off as a PDF). The bytes are
kept in the data store (:class:`~sandbox.storage.datastore.DataStore`, local or S3) under
``_attachments/application-<id>/<sha256>``, the record (name, type, size, SHA-256) in the
metadata store; a file written for a transaction that fails is removed.

Only the applicant, the providers of the application's provider organisation and the
authority see an application's attachments; to anyone else they do not exist. Every read
of a file is audited.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import pyarrow.fs as pafs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.model import ApplicationStatus
from sandbox.catalog.permissions import owns
from sandbox.clock import utc_now
from sandbox.errors import (
    Conflict,
    InvalidRequest,
    InvalidUpload,
    NotFound,
    PermissionDenied,
    UploadTooLarge,
)
from sandbox.identity.model import Actor, Role
from sandbox.storage.datastore import DataStore, storage_unavailable
from sandbox.store.models import ApplicationAttachmentRow, ApplicationRow, UserRow

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
"""Largest attachment (5 MiB): scanned documents and certificates, not data."""
MAX_ATTACHMENTS = 10
"""Most attachments one application holds."""
MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
"""The kinds of proof accepted, recognised from the bytes."""
OPEN_FOR_PROOF = frozenset(
    {ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.PROVIDER_REVIEW}
)
"""Application states in which proof may still be added."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Attachment:
    """A proof file's record (never its bytes)."""

    id: int
    application_id: int
    filename: str
    media_type: str
    byte_size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


def media_type_of(content: bytes) -> str:
    """The accepted kind the bytes are, or :class:`InvalidUpload`."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return "text/plain"
    raise InvalidUpload(
        "an attachment must be a PDF, a PNG or JPEG image, or UTF-8 text; this file is none of them"
    )


def safe_filename(filename: str) -> str:
    """A file name that is safe in a header: the last part of a path, letters, digits,
    ``._-`` only, the extension kept (``营业执照.pdf`` is ``attachment.pdf``).
    """
    base = re.split(r"[\\/]", filename.strip())[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = _SAFE_NAME.sub("_", stem)[:90].strip("._") or "attachment"
    extension = _SAFE_NAME.sub("", extension)[:10]
    return f"{stem}.{extension}" if extension else stem


def sees_attachments(actor: Actor, row: ApplicationRow) -> bool:
    """The applicant, providers of the provider organisation, and the authority."""
    return (
        row.applicant_id == actor.user_id
        or owns(actor, row.provider_org_id)
        or actor.role is Role.AUTHORITY
    )


def _application(
    session: Session, actor: Actor, application_id: int, *, lock: bool = False
) -> ApplicationRow:
    row = session.get(ApplicationRow, application_id, with_for_update=lock)
    if row is None or not sees_attachments(actor, row):
        raise NotFound(f"application {application_id} does not exist")
    return row


def _path(store: DataStore, application_id: int, sha256: str) -> str:
    return f"{store.root}/_attachments/application-{application_id}/{sha256}"


def attach(
    session: Session,
    actor: Actor,
    store: DataStore,
    application_id: int,
    *,
    filename: str,
    content: bytes,
    now: datetime | None = None,
) -> tuple[Attachment, str]:
    """Attach a proof file (the applicant); returns the record and the path written (the
    caller removes it if its transaction fails).
    """
    now = now or utc_now()
    row = _application(session, actor, application_id, lock=True)
    if row.applicant_id != actor.user_id:
        raise PermissionDenied("only the applicant attaches proof to an application")
    if ApplicationStatus(row.status) not in OPEN_FOR_PROOF:
        raise Conflict(f"application {application_id} is {row.status}: it takes no more proof")
    if not content:
        raise InvalidRequest("the attachment is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise UploadTooLarge(f"an attachment may hold at most {MAX_ATTACHMENT_BYTES} bytes")
    media_type = media_type_of(content)
    digest = hashlib.sha256(content).hexdigest()
    existing = list(
        session.execute(
            select(ApplicationAttachmentRow.sha256).where(
                ApplicationAttachmentRow.application_id == row.id
            )
        ).scalars()
    )
    if digest in existing:
        raise Conflict(f"this file is already attached to application {application_id}")
    if len(existing) >= MAX_ATTACHMENTS:
        raise Conflict(f"an application holds at most {MAX_ATTACHMENTS} attachments")
    path = _path(store, row.id, digest)
    try:
        store.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with store.filesystem.open_output_stream(path) as stream:
            stream.write(content)
    except OSError as exc:
        raise storage_unavailable(store.root, exc) from exc
    try:
        record = ApplicationAttachmentRow(
            application_id=row.id,
            filename=safe_filename(filename),
            media_type=media_type,
            byte_size=len(content),
            sha256=digest,
            storage_path=path,
            uploaded_by=actor.user_id,
            uploaded_at=now,
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            actor,
            "application.attachment.add",
            object_type="application",
            object_id=row.id,
            detail={
                "attachment_id": record.id,
                "filename": record.filename,
                "media_type": media_type,
                "bytes": len(content),
                "sha256": digest,
            },
        )
    except BaseException:
        store.delete(path)
        raise
    return attachment_of(session, record), path


def list_attachments(session: Session, actor: Actor, application_id: int) -> list[Attachment]:
    """The application's attachments, oldest first (whoever sees them)."""
    row = _application(session, actor, application_id)
    return [
        attachment_of(session, a)
        for a in session.execute(
            select(ApplicationAttachmentRow)
            .where(ApplicationAttachmentRow.application_id == row.id)
            .order_by(ApplicationAttachmentRow.id)
        ).scalars()
    ]


def count_attachments(session: Session, application_id: int) -> int:
    """How many files an application carries."""
    return int(
        session.execute(
            select(func.count())
            .select_from(ApplicationAttachmentRow)
            .where(ApplicationAttachmentRow.application_id == application_id)
        ).scalar_one()
    )


def read_attachment(
    session: Session, actor: Actor, store: DataStore, application_id: int, attachment_id: int
) -> tuple[Attachment, bytes]:
    """A proof file's record and bytes; the read is audited. Bytes that no longer match
    their recorded hash are refused rather than served.
    """
    row = _application(session, actor, application_id)
    record = session.get(ApplicationAttachmentRow, attachment_id)
    if record is None or record.application_id != row.id:
        raise NotFound(f"application {application_id} has no attachment {attachment_id}")
    try:
        if store.filesystem.get_file_info(record.storage_path).type != pafs.FileType.File:
            raise NotFound(f"the file of attachment {attachment_id} is missing from the store")
        content = b"".join(store.iter_bytes(record.storage_path))
    except OSError as exc:
        raise storage_unavailable(store.root, exc) from exc
    if hashlib.sha256(content).hexdigest() != record.sha256:
        raise Conflict(f"attachment {attachment_id} no longer matches its recorded SHA-256")
    audit.record(
        session,
        actor,
        "application.attachment.read",
        object_type="application",
        object_id=row.id,
        detail={"attachment_id": record.id, "sha256": record.sha256},
    )
    return attachment_of(session, record), content


def attachment_of(session: Session, row: ApplicationAttachmentRow) -> Attachment:
    """An attachment row as the domain sees it."""
    uploader = session.get(UserRow, row.uploaded_by)
    return Attachment(
        id=row.id,
        application_id=row.application_id,
        filename=row.filename,
        media_type=row.media_type,
        byte_size=row.byte_size,
        sha256=row.sha256,
        uploaded_by=uploader.username if uploader else "?",
        uploaded_at=row.uploaded_at,
    )
