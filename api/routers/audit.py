"""The audit trail for auditors: read page by page, export as JSON lines, verify, and the
signed checkpoints that anchor it outside the database.
"""

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from api.deps import PlatformDep, StreamSession, WriteSession, require_roles
from api.schemas.audit import (
    AuditArchivePublic,
    AuditEntryPublic,
    AuditPage,
    AuditVerifyPublic,
)
from api.types import Cursor
from sandbox import audit
from sandbox.audit.archive import verify_archives
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/audit", tags=["audit"])

AuditorDep = Annotated[Actor, require_roles(Role.AUDITOR, Role.ADMIN)]


@router.get("", response_model=AuditPage)
def read(
    session: WriteSession,
    actor: AuditorDep,
    after_seq: Cursor = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_name: Annotated[str | None, Query(alias="actor")] = None,
) -> AuditPage:
    """A page of entries after ``after_seq`` (auditor, admin); the read is itself audited."""
    query = audit.AuditQuery(
        after_seq=after_seq,
        limit=limit,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor=actor_name,
    )
    entries = audit.read_entries(session, actor, query)
    return AuditPage(data=[AuditEntryPublic.model_validate(e) for e in entries], count=len(entries))


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export(session: WriteSession, stream: StreamSession, actor: AuditorDep) -> StreamingResponse:
    """The whole log as JSON lines, streamed (auditor, admin)."""
    audit.record_export(session, actor)
    return StreamingResponse(
        _lines(stream),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'},
    )


def _lines(session: Session) -> Iterator[bytes]:
    """The log's lines, read after the export's own entry was committed."""
    for entry in audit.iter_entries(session, audit.AuditQuery()):
        yield (json.dumps(entry.to_dict(), ensure_ascii=False) + "\n").encode()


@router.get("/verify", response_model=AuditVerifyPublic)
def verify(session: WriteSession, actor: AuditorDep) -> AuditVerifyPublic:
    """Walk the whole chain and report every break (auditor, admin)."""
    return AuditVerifyPublic.model_validate(audit.verify_chain(session, actor))


@router.get(
    "/checkpoints",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def checkpoints(
    session: WriteSession, platform: PlatformDep, actor: AuditorDep
) -> StreamingResponse:
    """The anchor of the chain as JSON lines (auditor, admin): the Ed25519 public key first,
    then every signed checkpoint, to check an export of the log against without the server.
    """
    lines = audit.export_checkpoints(session, actor, platform.audit_anchor)
    return StreamingResponse(
        (line.encode("ascii") + b"\n" for line in lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-checkpoints.jsonl"'},
    )


@router.get("/archives", response_model=list[AuditArchivePublic])
def archives(
    session: WriteSession, platform: PlatformDep, actor: AuditorDep
) -> list[AuditArchivePublic]:
    """Every archive of the archive directory verified against the live chain (auditor,
    admin): its own hashes, back-links and signed checkpoints, the entries still in the
    chain identical, the entries pruned named by a prune record with the file's SHA-256.
    """
    directory = platform.settings.resolved_audit_archive_dir()
    return [
        AuditArchivePublic(
            file=report.file,
            from_seq=report.check.from_seq,
            through_seq=report.check.through_seq,
            entries=report.check.entries,
            pruned=report.check.pruned,
            ok=report.check.ok,
            problems=report.check.problems,
        )
        for report in verify_archives(session, actor, platform.audit_anchor, directory)
    ]
