"""The one place where domain errors become HTTP responses.

Every error body is ``{"error": <code>, "message": <sentence>}``. Bad input is a 4xx that
names the problem; an unexpected failure is a 500 with no detail (it is logged, never shown).
Refusals (403) are written to the audit trail here, in their own transaction, because the
transaction of the refused request has rolled back.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.rate_limits import throttled_response
from sandbox import audit
from sandbox.errors import (
    AccessRefused,
    AuthenticationRequired,
    CalendarExhausted,
    Conflict,
    DataUnavailable,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    SandboxError,
    StorageFull,
    StorageUnavailable,
    Throttled,
    UploadExpired,
    UploadTimedOut,
    UploadTooLarge,
    UploadTruncated,
)
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.store.db import transaction

log = logging.getLogger("sandbox.api")

STATUS_BY_ERROR: tuple[tuple[type[SandboxError], int], ...] = (
    (UploadTooLarge, 413),
    (UploadTruncated, 400),
    (UploadTimedOut, 408),
    (InvalidRequest, 422),
    (UploadExpired, 410),
    (NotFound, 404),
    (Conflict, 409),
    (AuthenticationRequired, 401),
    (AccessRefused, 403),
    (PermissionDenied, 403),
    # The server's own trouble, named: a damaged version file is expected to be repaired
    # (503: not the caller's fault, worth retrying later), a full disk is 507.
    (DataUnavailable, 503),
    (StorageFull, 507),
    (StorageUnavailable, 503),
    (CalendarExhausted, 503),
    (Throttled, 429),
)


def status_for(error: SandboxError) -> int:
    """The HTTP status of a domain error (most specific class first)."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


class ErrorBody(BaseModel):
    """The body of every error response, as the OpenAPI document states it."""

    error: str = Field(description="A stable code: invalid_request, not_found, conflict, ...")
    message: str = Field(description="One sentence naming the problem; never data or a trace")


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "The body could not be read: not UTF-8, not JSON, or cut short",
    401: (
        "No valid bearer token or sign-in session (expired, revoked, signed out, or the "
        "account is deactivated), or a failed sign-in"
    ),
    403: "Refused: the caller's role, organisation or ownership does not allow it (audited)",
    404: "Not found, or not visible to the caller",
    405: "The path exists but not with this method; the Allow header lists those it has",
    408: "The upload's body stopped arriving; nothing was staged",
    409: "Conflicts with the current state of the object",
    410: "The staged upload expired and was removed; upload the file again",
    413: "The upload is larger than the limit",
    422: "Invalid input: the message names each problem",
    429: (
        "A rate or quota was reached (the body's limit names it); nothing was done. "
        "Retry-After says in how many seconds to try again"
    ),
    503: "A dataset version's stored file is damaged; its provider has been told",
    507: "The server's storage is full (the message names which); nothing was changed",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for the errors it may answer with beyond the usual."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def error_body(code: str, message: str) -> dict[str, str]:
    """The JSON body of every error response."""
    return {"error": code, "message": message}


def allowed_methods(request: Request) -> str:
    """Every method the request's path answers to, for a 405's ``Allow`` header.

    Each method is tried against the app's routes as the router itself would match it:
    Starlette names only the first route whose path matched, and a path served by several
    routes (``GET`` and ``PUT /v1/policies/floor``) has the union of theirs.
    """
    allowed = []
    for method in HTTP_METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _audit_refusal(request: Request, error: SandboxError) -> None:
    actor: Actor | None = getattr(request.state, "actor", None)
    platform: Platform | None = getattr(request.app.state, "platform", None)
    if actor is None or platform is None:
        return
    path = request.url.path
    object_id = "/".join(str(v) for v in request.path_params.values()) or "-"
    try:
        with transaction(platform.sessions) as session:
            audit.record(
                session,
                actor,
                f"{request.method} {path}",
                object_type="request",
                object_id=object_id,
                outcome="denied",
                detail={"error": error.code, "message": error.message},
            )
    except Exception:  # auditing a refusal must never turn it into a 500
        log.exception("could not audit a refused request")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into a JSON error body."""

    @app.exception_handler(SandboxError)
    async def _domain(request: Request, exc: SandboxError) -> JSONResponse:
        status = status_for(exc)
        if status == 403:
            # In a worker thread: waiting for the database here must not stall the event
            # loop, which is what lets another request's transaction finish and let go.
            await run_in_threadpool(_audit_refusal, request, exc)
        if isinstance(exc, Throttled):
            return throttled_response(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _describe(exc.errors())), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers or None
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            error_body("internal", "the server failed; the failure was logged"), status_code=500
        )


def _describe(errors: Any) -> str:
    parts = []
    for error in list(errors)[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)
