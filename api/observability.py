"""Every request's id, its log line and its latency metric, around the whole app.

:class:`RequestObserver` is the outermost layer of the app (outside even the handler of
unexpected errors, so a ``500`` gets its id too). For each HTTP request it:

- takes the caller's ``X-Request-ID`` when it is a plausible id, else makes one
  (:func:`sandbox.observability.context.accepted_request_id`), binds it for every log line
  of the request (and a job the request submits stores it), and returns it in the
  response's ``X-Request-ID`` header;
- writes one log line when the response ends (``sandbox.http``: method, route template,
  status, milliseconds; health and metrics probes at debug level), never the body, the
  query string or a header's value;
- observes ``sandbox_http_request_duration_seconds`` by method, route *template*
  (``/v1/jobs/{job_id}``, or ``unmatched``) and status class: never by the raw path, whose
  ids and names would make a label per object.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.observability import metrics
from sandbox.observability.context import accepted_request_id, bound, new_request_id

__all__ = ["REQUEST_ID_HEADER", "ObservedFastAPI", "RequestObserver"]

log = logging.getLogger("sandbox.http")

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED = "unmatched"
QUIET_ROUTES = frozenset({"/v1/health", "/v1/ready", "/metrics"})
"""Routes probed every few seconds by orchestrators: their request lines are debug level."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
                return None
    return None


class RequestObserver:
    """The ASGI layer described in the module docstring."""

    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self._app = app
        self._owner = owner
        self._templates: list[RouteTemplate] | None = None
        self._ending: dict[str, list[RouteTemplate]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Observe one HTTP request (other scopes pass through untouched)."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = accepted_request_id(_header(scope, b"x-request-id")) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        encoded_id = request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", encoded_id))
                message = {**message, "headers": headers}
            await send(message)

        with bound(request_id=request_id):
            try:
                await self._app(scope, receive, send_with_id)
            finally:
                self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = self._route(scope)
        method = str(scope.get("method", ""))
        metrics.http_request(method, route, status, seconds)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        log.log(
            level,
            "%s %s %s",
            method,
            route,
            status,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )

    def _route(self, scope: Scope) -> str:
        """The template of the route that served the request, or ``unmatched``.

        The route FastAPI put in the scope knows its own path within its router only
        (``/jobs/{job_id}``); the app's templates say where that router was included.
        """
        if self._templates is None:
            self._templates = route_templates(self._owner)
        path = str(scope.get("path", ""))
        served: Any = scope.get("route")
        suffix = str(getattr(served, "path_format", None) or getattr(served, "path", "") or "")
        # The templates ending with the served route's own path, found once per suffix:
        # matching the path against all 300-odd templates on every request was a visible
        # share of a small read's CPU.
        ending = self._ending.get(suffix)
        if ending is None:
            ending = [t for t in self._templates if suffix and t.template.endswith(suffix)]
            self._ending[suffix] = ending
        chosen = [t for t in ending if t.matches(path)]
        if not chosen:
            chosen = [t for t in self._templates if t.matches(path)]
        if not chosen:
            return UNMATCHED
        return min(chosen, key=lambda t: (t.template.count("{"), -len(t.template))).template


@dataclass(frozen=True)
class RouteTemplate:
    """One route's full path template and how to tell a path it serves."""

    template: str
    pattern: re.Pattern[str]
    prefix: bool = False
    """A mount: it serves every path under the template."""

    def matches(self, path: str) -> bool:
        """Whether this route would serve ``path``."""
        if self.prefix:
            return path == self.template or path.startswith(self.template.rstrip("/") + "/")
        return self.pattern.fullmatch(path) is not None


def route_templates(app: FastAPI) -> list[RouteTemplate]:
    """Every route of ``app`` with its full template (routers' prefixes included)."""
    templates: list[RouteTemplate] = []
    for route in _flat_routes(app):
        original = getattr(route, "original_route", route)
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if not template:
            continue
        if isinstance(original, Mount):
            mounted = str(template).removesuffix("/{path}")
            templates.append(RouteTemplate(mounted, re.compile(""), prefix=True))
        else:
            regex, _format, _convertors = compile_path(str(template))
            templates.append(RouteTemplate(str(template), regex))
    return templates


def _flat_routes(app: FastAPI) -> list[Any]:
    try:  # FastAPI keeps included routers nested; this walks them with their prefixes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI versions that flatten on include
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


class ObservedFastAPI(FastAPI):
    """The FastAPI app with :class:`RequestObserver` outside its whole middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack (error handling innermost to outermost), wrapped by the observer."""
        return RequestObserver(super().build_middleware_stack(), self)
