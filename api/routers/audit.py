"""The audit trail for auditors: read page by page, export as JSON lines, verify."""

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import PlatformDep, require_roles
from api.schemas import AuditEntryPublic, AuditPage, AuditVerifyPublic
from sandbox import audit
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = APIRouter(prefix="/audit", tags=["audit"])

AuditorDep = Annotated[Actor, require_roles(Role.AUDITOR, Role.ADMIN)]


@router.get("", response_model=AuditPage)
def read(
    platform: PlatformDep,
    actor: AuditorDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_name: Annotated[str | None, Query(alias="actor")] = None,
) -> AuditPage:
    """A page of entries after ``after_seq`` (auditor, admin); the read is itself audited."""
    query = audit.AuditQuery(after_seq=after_seq, limit=limit, action=action,
                             object_type=object_type, object_id=object_id, actor=actor_name)
    with transaction(platform.sessions) as session:
        entries = audit.list_entries(session, query)
        audit.record(session, actor, "audit.read", object_type="audit", object_id="log",
                     detail={"after_seq": after_seq, "limit": limit})
    return AuditPage(data=[AuditEntryPublic.of(e) for e in entries], count=len(entries))


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}}}})
def export(platform: PlatformDep, actor: AuditorDep) -> StreamingResponse:
    """The whole log as JSON lines, streamed (auditor, admin)."""
    with transaction(platform.sessions) as session:
        audit.record(session, actor, "audit.export", object_type="audit", object_id="log")
    return StreamingResponse(_lines(platform), media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'})


def _lines(platform: Platform) -> Iterator[bytes]:
    with platform.sessions() as session:
        for entry in audit.iter_entries(session, audit.AuditQuery()):
            yield (json.dumps(entry.to_dict(), ensure_ascii=False) + "\n").encode()


@router.get("/verify", response_model=AuditVerifyPublic)
def verify(platform: PlatformDep, actor: AuditorDep) -> AuditVerifyPublic:
    """Walk the whole chain and report every break (auditor, admin)."""
    with platform.sessions() as session:
        report = audit.verify(session)
    with transaction(platform.sessions) as session:
        audit.record(session, actor, "audit.verify", object_type="audit", object_id="log",
                     outcome="ok" if report.ok else "broken",
                     detail={"entries": report.entries_checked})
    return AuditVerifyPublic.of(report)
