"""Liveness and readiness: the endpoints without a token."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.errors import ErrorBody
from api.schemas.common import Health, Readiness
from sandbox.jobs.dispatcher import JobDispatcher
from sandbox.jobs.readiness import check_readiness
from sandbox.platform import Platform

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Answer as long as the server is up."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    responses={
        503: {
            "model": ErrorBody,
            "description": "A part is not ready: the error body (`not_ready`, naming the parts) "
            "with the readiness fields (`status`, `parts`, `not_ready`) beside it",
        }
    },
)
def ready(request: Request) -> JSONResponse:
    """Whether the database, the data store, Ray and the sandbox backend work now: ``200``
    when all do, ``503`` naming those that do not (an error body, the readiness fields
    beside it). States only: no address, path or error text.
    """
    platform: Platform = request.app.state.platform
    dispatcher: JobDispatcher = request.app.state.dispatcher
    readiness = check_readiness(platform, dispatcher.compute_state)
    body = Readiness(
        status="ready" if readiness.ready else "not ready",
        parts=readiness.parts,
        not_ready=readiness.not_ready,
    )
    if readiness.ready:
        return JSONResponse(body.model_dump())
    message = f"not ready: {', '.join(readiness.not_ready)}"
    error = ErrorBody(error="not_ready", message=message)
    return JSONResponse({**error.model_dump(), **body.model_dump()}, status_code=503)
