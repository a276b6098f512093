"""Streaming uploads: the raw request body goes to disk chunk by chunk, never into memory."""

from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool

from api.deps import PlatformDep, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.uploads import UploadPublic
from sandbox.datasets import uploads
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role

router = APIRouter(prefix="/uploads", tags=["uploads"])


@router.post(
    "",
    response_model=UploadPublic,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
    responses=error_responses(408, 413, 507),
)
async def upload(
    request: Request,
    platform: PlatformDep,
    session: WriteSession,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
    x_filename: Annotated[str, Header(max_length=300)] = "upload",
    content_length: Annotated[int | None, Header()] = None,
) -> UploadPublic:
    """Stage a data file (provider). Send the file as the raw body; name it in X-Filename.

    The upload is refused while it streams once it passes the size limit, refused if
    fewer bytes arrive than Content-Length declared, and cut (408) when no byte arrives for
    the idle timeout; a full staging disk is a 507. Nothing enters the catalog until a
    registration names the returned ``upload_id``, within the upload expiry (a day by
    default); expired uploads are removed first.
    """
    if content_length is not None and content_length < 0:
        raise InvalidRequest("Content-Length must not be negative")
    await run_in_threadpool(uploads.expire_uploads, platform)
    staged = await platform.staging.receive(
        request.stream(),
        declared_length=content_length,
        max_bytes=platform.settings.max_upload_bytes,
        idle_timeout=platform.settings.upload_idle_timeout_seconds,
    )

    def _record() -> None:
        uploads.record_upload(session, actor, staged, x_filename)
        session.commit()  # here, not after the handler: a failed commit discards the file too

    try:
        await run_in_threadpool(_record)
    except BaseException:
        platform.staging.discard(staged.upload_id)
        raise
    return UploadPublic(
        upload_id=staged.upload_id,
        filename=x_filename,
        byte_size=staged.byte_size,
        sha256=staged.sha256,
    )


@router.delete("/{upload_id}", status_code=204, responses=error_responses(410))
def discard(
    upload_id: str,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> None:
    """Discard a staged upload of the caller's."""
    uploads.discard_upload(platform, actor, upload_id)
