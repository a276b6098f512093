"""Staged uploads as the catalog knows them: whose they are, and how long they wait.

The bytes live in the staging area (:mod:`sandbox.storage.staging`); the record
(:class:`~sandbox.store.models.UploadRow`) says whose they are. An upload waits at most
``upload_expiry_seconds`` to be registered: a staging directory must not fill up with files
nobody will name. :func:`expire_uploads` runs at every staging operation (an upload, a
registration from an upload, a discard) and removes expired uploads, record and bytes, with
an ``upload.expire`` audit entry each; that entry is also how a later request naming the
upload is told it expired (``410``), rather than that it never existed. Only its owner is
told: to anyone else it does not exist, as before.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.permissions import require_provider
from sandbox.clock import utc_now
from sandbox.errors import NotFound, PermissionDenied, UploadExpired
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.storage.staging import StagedFile
from sandbox.store.db import transaction
from sandbox.store.models import AuditEntryRow, UploadRow

EXPIRE_ACTION = "upload.expire"


def record_upload(session: Session, actor: Actor, staged: StagedFile, filename: str) -> UploadRow:
    """Remember a staged upload as the actor's, ready to be named in a registration."""
    require_provider(actor, "upload data")
    if actor.user_id is None:
        raise PermissionDenied("uploads need a named account")
    row = UploadRow(
        id=staged.upload_id,
        owner_user_id=actor.user_id,
        filename=filename[:300],
        byte_size=staged.byte_size,
        sha256=staged.sha256,
        created_at=utc_now(),
    )
    session.add(row)
    audit.record(
        session,
        actor,
        "upload.create",
        object_type="upload",
        object_id=row.id,
        detail={"bytes": staged.byte_size, "sha256": staged.sha256},
    )
    return row


def discard_upload(platform: Platform, actor: Actor, upload_id: str) -> None:
    """Delete a staged upload of the actor's."""
    expire_uploads(platform)
    with transaction(platform.sessions) as session:
        row = owned_upload(session, actor, upload_id, platform.settings.upload_expiry_seconds)
        session.delete(row)
        audit.record(session, actor, "upload.discard", object_type="upload", object_id=upload_id)
    platform.staging.discard(upload_id)


def owned_upload(session: Session, actor: Actor, upload_id: str, expiry_seconds: int) -> UploadRow:
    """The actor's staged upload ``upload_id``; :class:`UploadExpired` if it expired (to its
    owner), :class:`NotFound` otherwise.
    """
    row = session.get(UploadRow, upload_id)
    if row is not None and row.owner_user_id == actor.user_id:
        if row.created_at < utc_now() - timedelta(seconds=expiry_seconds):
            raise _expired(upload_id, expiry_seconds)  # due, and the next sweep removes it
        return row
    if row is None and _expired_for(session, actor, upload_id):
        raise _expired(upload_id, expiry_seconds)
    raise NotFound(f"upload {upload_id!r} does not exist")


def expire_uploads(platform: Platform) -> int:
    """Remove every upload older than the expiry, record and bytes, and the staging area's
    leftovers as old (see :meth:`~sandbox.storage.staging.StagingArea.sweep`); returns how
    many uploads expired.
    """
    expiry = platform.settings.upload_expiry_seconds
    cutoff = utc_now() - timedelta(seconds=expiry)
    expired: list[str] = []
    with transaction(platform.sessions) as session:
        due = (
            session.execute(select(UploadRow).where(UploadRow.created_at < cutoff)).scalars().all()
        )
        for row in due:
            # a concurrent sweep may have taken it: only the one that deletes it audits it
            gone = session.execute(delete(UploadRow).where(UploadRow.id == row.id))
            if getattr(gone, "rowcount", 0) == 1:
                audit.record(
                    session,
                    Actor.system(),
                    EXPIRE_ACTION,
                    object_type="upload",
                    object_id=row.id,
                    detail={
                        "owner_user_id": row.owner_user_id,
                        "bytes": row.byte_size,
                        "expiry_seconds": expiry,
                    },
                )
                expired.append(row.id)
        live = frozenset(session.execute(select(UploadRow.id)).scalars())
    for upload_id in expired:
        platform.staging.discard(upload_id)
    platform.staging.sweep(expiry, keep=live)
    return len(expired)


def _expired_for(session: Session, actor: Actor, upload_id: str) -> bool:
    """Whether ``upload_id`` was an upload of the actor's that expired."""
    details = session.execute(
        select(AuditEntryRow.detail).where(
            AuditEntryRow.object_id == upload_id,
            AuditEntryRow.object_type == "upload",
            AuditEntryRow.action == EXPIRE_ACTION,
        )
    ).scalars()
    for text in details:
        try:
            owner = json.loads(text).get("owner_user_id")
        except (ValueError, AttributeError):
            continue
        if actor.user_id is not None and owner == actor.user_id:
            return True
    return False


def _expired(upload_id: str, expiry_seconds: int) -> UploadExpired:
    return UploadExpired(
        f"upload {upload_id!r} expired: a staged upload is kept for {_duration(expiry_seconds)} "
        "and this one was not registered in time, so it was removed; upload the file again"
    )


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{seconds} s"
