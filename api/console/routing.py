"""Console routes answer with pages, errors included.

The API's error handlers (:mod:`api.errors`) answer with JSON. A console route is a
:class:`ConsoleRoute`, which turns a domain error raised by the page or its dependencies
into the error page in the viewer's language, with the status the API would give it: 401
with a link to sign in, 403 (audited, as the API's refusals are), 404, 409, 422. Unexpected
failures still reach the app's handler (logged, a 500 without detail).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from api.console.auth import Viewer
from api.console.rendering import render
from api.errors import _audit_refusal, status_for
from sandbox.errors import InvalidRequest, SandboxError, Throttled

ERROR_TITLE_KEYS = {
    401: "error.401.title",
    403: "error.403.title",
    404: "error.404.title",
    409: "error.409.title",
    422: "error.422.title",
    503: "error.503.title",
}


def error_page(request: Request, error: SandboxError) -> HTMLResponse:
    """The page of a domain error, with its HTTP status."""
    status = status_for(error)
    viewer: Viewer = getattr(request.state, "viewer", None) or Viewer(
        getattr(request.state, "actor", None)
    )
    context = {
        "status": status,
        "title_key": ERROR_TITLE_KEYS.get(status, "error.other.title"),
        "message": error.message,
        "code": error.code,
    }
    page = render(request, "pages/error.html", viewer, context, status_code=status)
    if isinstance(error, Throttled):  # a rate or quota: say when to come back
        page.headers["Retry-After"] = str(error.retry_after_seconds)
    return page


class ConsoleRoute(APIRoute):
    """An API route whose domain errors become error pages (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, wrapped to render domain errors as pages."""
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except SandboxError as error:
                if status_for(error) == 403:
                    await run_in_threadpool(_audit_refusal, request, error)
                return await run_in_threadpool(error_page, request, error)
            except RequestValidationError as error:
                problem = InvalidRequest(f"the address is not valid: {_first(error)}")
                return await run_in_threadpool(error_page, request, problem)

        return page


def _first(error: RequestValidationError) -> str:
    for problem in error.errors():
        where = ".".join(str(p) for p in problem.get("loc", ()))
        return f"{where}: {problem.get('msg', 'invalid')}"
    return "invalid request"


def console_router(**kwargs: Any) -> APIRouter:
    """A router of console pages: HTML, outside the OpenAPI document (it is the API's)."""
    return APIRouter(
        route_class=ConsoleRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        **kwargs,
    )
