"""Proof attachments of applications (Qingdao art. 17): the applicant uploads them; the
applicant, the provider and the authority read them (each read audited).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession
from api.errors import error_responses
from api.routers.complaints import read_limited
from api.schemas.attachments import AttachmentPublic
from api.types import Id
from sandbox.access import attachments
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.store.db import transaction

router = APIRouter(prefix="/applications", tags=["applications"])


def _attach(
    platform: Platform, actor: Actor, application_id: int, filename: str, content: bytes
) -> attachments.Attachment:
    """:func:`attachments.attach` in its own transaction; the file is removed if it fails."""
    path: str | None = None
    try:
        with transaction(platform.sessions) as session:
            made, path = attachments.attach(
                session,
                actor,
                platform.store,
                application_id,
                filename=filename,
                content=content,
            )
        return made
    except BaseException:
        if path is not None:
            platform.store.delete(path)
        raise


@router.post(
    "/{application_id}/attachments",
    response_model=AttachmentPublic,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
    responses=error_responses(409, 413),
)
async def add_attachment(
    application_id: Id,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    x_filename: Annotated[str, Header(max_length=300)] = "attachment",
    content_length: Annotated[int | None, Header()] = None,
) -> AttachmentPublic:
    """Attach a proof file to your application under review: the raw body, named in
    X-Filename (a PDF, PNG, JPEG or UTF-8 text of at most 5 MiB; 10 files per application).
    """
    content = await read_limited(request, attachments.MAX_ATTACHMENT_BYTES, content_length)
    made = await run_in_threadpool(_attach, platform, actor, application_id, x_filename, content)
    return AttachmentPublic.model_validate(made)


@router.get("/{application_id}/attachments", response_model=list[AttachmentPublic])
def list_attachments(
    application_id: Id, session: ReadSession, actor: ActorDep
) -> list[AttachmentPublic]:
    """An application's proof files (the applicant, its provider and the authority)."""
    return [
        AttachmentPublic.model_validate(a)
        for a in attachments.list_attachments(session, actor, application_id)
    ]


@router.get(
    "/{application_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(409)},
)
def read_attachment(
    application_id: Id,
    attachment_id: Id,
    platform: PlatformDep,
    session: WriteSession,
    actor: ActorDep,
) -> Response:
    """A proof file's bytes, served as an attachment with its SHA-256 (the read is
    audited).
    """
    found, content = attachments.read_attachment(
        session, actor, platform.store, application_id, attachment_id
    )
    return Response(
        content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "X-Content-SHA256": found.sha256,
            "X-Content-Type-Options": "nosniff",
        },
    )
