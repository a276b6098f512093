"""Complaints of infringed privacy or trade secrets: filing, evidence, the provider's
answer.
"""

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession, require_roles
from api.errors import error_responses
from api.schemas.complaints import ComplaintAnswer, ComplaintCreate, ComplaintPublic, EvidencePublic
from api.types import Id
from sandbox.errors import InvalidRequest, UploadTooLarge
from sandbox.identity.model import Actor, Role
from sandbox.oversight import complaints

router = APIRouter(prefix="/complaints", tags=["complaints"])


async def read_limited(request: Request, limit: int, declared: int | None) -> bytes:
    """The request body, refused with a 413 as soon as it passes ``limit`` bytes."""
    if declared is not None and declared < 0:
        raise InvalidRequest("Content-Length must not be negative")
    if declared is not None and declared > limit:
        raise UploadTooLarge(f"the file declares {declared} bytes, over the limit of {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise UploadTooLarge(f"the file exceeded the limit of {limit} bytes")
    return bytes(body)


@router.post("", response_model=ComplaintPublic, status_code=201, responses=error_responses(404))
def submit(
    body: ComplaintCreate, platform: PlatformDep, session: WriteSession, actor: ActorDep
) -> ComplaintPublic:
    """File a complaint against a dataset (any account); the provider answers within 10
    working days.
    """
    return ComplaintPublic.model_validate(
        complaints.submit(
            session,
            actor,
            platform.calendar,
            dataset=body.dataset,
            kind=body.kind,
            description=body.description,
            evidence_text=body.evidence_text,
        )
    )


@router.get("", response_model=list[ComplaintPublic], responses=error_responses(404))
def list_complaints(
    platform: PlatformDep,
    session: ReadSession,
    actor: ActorDep,
    status: str | None = None,
    dataset: str | None = None,
) -> list[ComplaintPublic]:
    """The complaints you may see: yours, those about your organisation's data, or all."""
    found = complaints.list_complaints(
        session, actor, platform.calendar, status=status, dataset=dataset
    )
    return [ComplaintPublic.model_validate(c) for c in found]


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get_complaint(
    complaint_id: Id, platform: PlatformDep, session: ReadSession, actor: ActorDep
) -> ComplaintPublic:
    """One complaint with its evidence, its answer stage and time left."""
    return ComplaintPublic.model_validate(
        complaints.get_complaint(session, actor, platform.calendar, complaint_id)
    )


@router.post(
    "/{complaint_id}/evidence",
    response_model=EvidencePublic,
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
async def add_evidence(
    complaint_id: Id,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    x_filename: Annotated[str, Header(max_length=300)] = "evidence.bin",
    content_length: Annotated[int | None, Header()] = None,
) -> EvidencePublic:
    """Attach an evidence file to your open complaint: the raw body, named in X-Filename
    (at most 2 MiB, 10 files per complaint).
    """
    content = await read_limited(request, complaints.MAX_EVIDENCE_BYTES, content_length)
    evidence = await run_in_threadpool(
        complaints.attach_evidence,
        platform,
        actor,
        complaint_id,
        filename=x_filename,
        content=content,
    )
    return EvidencePublic.model_validate(evidence)


@router.get(
    "/{complaint_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def read_evidence(
    complaint_id: Id, evidence_id: Id, platform: PlatformDep, session: WriteSession, actor: ActorDep
) -> Response:
    """An evidence file's bytes (whoever sees the complaint; the read is audited)."""
    evidence, content = complaints.read_evidence(
        session, actor, complaints.evidence_dir(platform.settings), complaint_id, evidence_id
    )
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{evidence.filename}"',
            "X-Content-SHA256": evidence.sha256,
        },
    )


@router.post(
    "/{complaint_id}/answer", response_model=ComplaintPublic, responses=error_responses(409)
)
def answer(
    complaint_id: Id,
    body: ComplaintAnswer,
    platform: PlatformDep,
    actor: Annotated[Actor, require_roles(Role.PROVIDER)],
) -> ComplaintPublic:
    """Answer a complaint (a provider of the dataset's organisation): ``restore``,
    ``reprocess`` (a new desensitised version from ``upload_id``) or ``end`` (withdraw the
    dataset for good); its suspension, if any, is resolved the same way.
    """
    return ComplaintPublic.model_validate(
        complaints.answer_complaint(
            platform,
            actor,
            complaint_id,
            step=body.outcome,
            text=body.answer,
            reprocessing=body.reprocessing(),
        )
    )
