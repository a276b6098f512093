"""Verification services on conditional datasets (Qingdao art. 13: data service interfaces
"for query or verification"): the provider publishes and withdraws them; a user holding an
active grant on the dataset verifies records, one JSON call of up to 100 records or a
streamed file of them, and gets only match answers, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ActorDep, PlatformDep, ReadSession, WriteSession
from api.errors import error_responses
from api.schemas.verification import (
    QuotaPublic,
    ServiceCreate,
    ServicePublic,
    VerificationPublic,
    VerifyIn,
    WithdrawIn,
    field_specs,
)
from api.types import Id
from sandbox.verification import calls, services
from sandbox.verification.batch import BatchReader, format_of
from sandbox.verification.model import Answer, ServiceStatus

router = APIRouter(tags=["verification"])

NDJSON = "application/x-ndjson"
LINES_PER_CHUNK = 1000


@router.post(
    "/datasets/{name}/verification-services",
    response_model=ServicePublic,
    status_code=201,
    responses=error_responses(404, 409),
)
def publish(
    name: str, body: ServiceCreate, session: WriteSession, actor: ActorDep
) -> ServicePublic:
    """Publish a verification service on your organisation's conditional dataset: input
    fields mapped to its columns (the first an identifier column: the key; never a
    sensitive column) and the answer kind, ``match`` or ``per_field``.
    """
    made = services.publish(
        session,
        actor,
        name,
        name=body.name,
        fields=field_specs(body.fields),
        answer=str(body.answer),
        description=body.description,
    )
    return ServicePublic.model_validate(made)


@router.get(
    "/datasets/{name}/verification-services",
    response_model=list[ServicePublic],
    responses=error_responses(404),
)
def list_services(
    name: str,
    session: ReadSession,
    actor: ActorDep,
    status: Annotated[ServiceStatus | None, Query()] = None,
) -> list[ServicePublic]:
    """A dataset's verification services (any account), optionally of one status."""
    found = services.list_services(session, name, status=None if status is None else str(status))
    return [ServicePublic.model_validate(s) for s in found]


@router.get(
    "/verification-services/{service_id}",
    response_model=ServicePublic,
    responses=error_responses(404),
)
def read_service(service_id: Id, session: ReadSession, actor: ActorDep) -> ServicePublic:
    """One verification service (any account)."""
    return ServicePublic.model_validate(services.get_service(session, service_id))


@router.post(
    "/verification-services/{service_id}/withdraw",
    response_model=ServicePublic,
    responses=error_responses(404, 409),
)
def withdraw(
    service_id: Id, body: WithdrawIn, session: WriteSession, actor: ActorDep
) -> ServicePublic:
    """Withdraw a service of your organisation's dataset, with a reason; it answers no more."""
    return ServicePublic.model_validate(services.withdraw(session, actor, service_id, body.reason))


@router.get(
    "/verification-services/{service_id}/quota",
    response_model=QuotaPublic,
    responses=error_responses(404, 409),
)
def quota(
    service_id: Id,
    platform: PlatformDep,
    actor: ActorDep,
    grant: Annotated[str | None, Query(max_length=64)] = None,
) -> QuotaPublic:
    """What your grant may still verify today against this service's dataset."""
    call = calls.open_call(platform, actor, service_id, grant)
    return QuotaPublic.model_validate(call.quota)


@router.post(
    "/verification-services/{service_id}/verify",
    response_model=VerificationPublic,
    responses=error_responses(404, 409, 429, 503),
)
def verify(
    service_id: Id, body: VerifyIn, platform: PlatformDep, actor: ActorDep
) -> VerificationPublic:
    """Verify up to 100 records (a user holding an active grant on the dataset). Each
    answer is ``match`` (and ``fields`` for ``per_field`` services), never a value. A bad
    record (empty, a wildcard, shorter than the field's minimum) is a 422 naming it, with
    nothing counted; a call over the grant's quota is a 429 with nothing answered.
    """
    done = calls.verify(platform, actor, service_id, body.records, grant_ref=body.grant)
    return VerificationPublic.model_validate(done)


def _lines(answers: tuple[Answer, ...]) -> Iterator[bytes]:
    for start in range(0, len(answers), LINES_PER_CHUNK):
        chunk = answers[start : start + LINES_PER_CHUNK]
        yield "".join(json.dumps(a.to_dict()) + "\n" for a in chunk).encode()


@router.post(
    "/verification-services/{service_id}/batch",
    response_class=StreamingResponse,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                NDJSON: {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
    responses={200: {"content": {NDJSON: {}}}, **error_responses(404, 409, 429, 503)},
)
async def verify_batch(
    service_id: Id,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
    grant: Annotated[str | None, Query(max_length=64)] = None,
) -> StreamingResponse:
    """Verify a file of records streamed in: CSV with a header row naming the fields, or
    NDJSON (one object per line). Every record is checked as it arrives; the batch is
    refused whole, before any answer, at its first bad record (422, naming its line) or
    once it holds more records than the grant has left today (429). The answers stream out
    as NDJSON, one line per record in order (``X-Verification-Records`` and
    ``X-Verification-Remaining`` say how many and what is left today).
    """
    kind = format_of(request.headers.get("content-type"))
    call = await run_in_threadpool(calls.open_call, platform, actor, service_id, grant)
    reader = BatchReader(kind)
    batch = calls.BatchProbes(call)
    async for chunk in request.stream():
        if await run_in_threadpool(batch.add_all, list(reader.feed(chunk))):
            await run_in_threadpool(batch.refuse)
    if await run_in_threadpool(batch.add_all, list(reader.finish())):
        await run_in_threadpool(batch.refuse)
    done = await run_in_threadpool(calls.run_batch, call, batch.probes)
    headers = {
        "X-Verification-Records": str(len(done.answers)),
        "X-Verification-Remaining": str(done.quota.remaining),
        "X-Verification-Grant": done.grant,
    }
    return StreamingResponse(_lines(done.answers), media_type=NDJSON, headers=headers)
