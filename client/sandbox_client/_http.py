"""The connection under every resource of the client, and the one place errors are mapped.

Every resource mixin goes through :class:`ClientBase` (``_send``, ``_obj``, ``_list``,
``_stream``), so a transport failure always becomes :class:`SandboxConnectionError` and a
non-2xx answer always becomes :class:`SandboxAPIError` with the server's ``error`` code,
whichever endpoint was called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self, cast

import httpx

from sandbox_client._retry import RetryingTransport, may_retry
from sandbox_client.errors import SandboxAPIError, SandboxConnectionError

DEFAULT_TIMEOUT = 60.0
"""Seconds to wait for the server between bytes; registration of a large file may need more."""

KEEPALIVE_EXPIRY = 4.0
"""Seconds an idle pooled connection is kept: shorter than the 5 s keep-alive timeout of a
stock uvicorn or proxy in front of the server (``sandbox serve`` keeps its own 65 s), so the
client drops an idle connection before the server does. When the server still wins that race
a safe request is sent again (:mod:`sandbox_client._retry`)."""

JSON = dict[str, Any]


def error_from(response: httpx.Response) -> SandboxAPIError:
    """Build the error of a non-2xx response from its ``{"error", "message"}`` body."""
    code, message = "http_error", response.reason_phrase or "request failed"
    limit: str | None = None
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        if text:
            message = text[:500]
    else:
        if isinstance(body, dict):
            code = str(body.get("error", code))
            message = str(body.get("message", body.get("detail", message)))
            limit = str(body["limit"]) if body.get("limit") else None
    try:
        retry_after: float | None = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        retry_after = None
    return SandboxAPIError(
        response.status_code, code, message, limit=limit, retry_after=retry_after
    )


def drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones, so server defaults apply."""
    return {k: v for k, v in params.items() if v is not None}


class ClientBase:
    """A connection to one sandbox server, authenticated by one bearer token.

    Args:
        base_url: The server's root, e.g. ``http://127.0.0.1:8000`` (``/v1`` is added here).
        token: A sandbox API token (``sbx_...``); ``None`` reaches only ``health()``.
        timeout: Seconds to wait for the server between bytes, or ``None`` for no limit.
        transport: An httpx transport to use instead of the network (for tests).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        timeout: float | None = DEFAULT_TIMEOUT,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url + "/v1",
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=RetryingTransport(
                transport
                or httpx.HTTPTransport(limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY))
            ),
        )

    # ---- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request, turning transport failures and non-2xx answers into errors."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise SandboxConnectionError(self._failure(exc)) from exc
        if response.is_error:
            raise error_from(response)
        return response

    def _failure(self, exc: httpx.TransportError) -> str:
        """What a transport failure means for the caller: an unsafe request whose connection
        dropped may have been carried out, so the caller must look before sending it again.
        """
        message = f"cannot reach the sandbox server at {self.base_url}: {exc or type(exc).__name__}"
        try:
            request = exc.request
        except RuntimeError:  # raised before a request was built
            return message
        if not may_retry(request) and not isinstance(
            exc, httpx.ConnectError | httpx.TimeoutException
        ):
            message += (
                f" (the {request.method} request may have been carried out: check before"
                " sending it again)"
            )
        return message

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _obj(self, method: str, path: str, **kwargs: Any) -> JSON:
        return cast(JSON, self._json(method, path, **kwargs))

    def _list(self, method: str, path: str, **kwargs: Any) -> list[JSON]:
        return cast(list[JSON], self._json(method, path, **kwargs))

    @contextlib.contextmanager
    def _stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed response whose status was checked before the body is read."""
        try:
            with self._http.stream(method, path, **kwargs) as response:
                if response.is_error:
                    response.read()  # error bodies are small JSON
                    raise error_from(response)
                yield response
        except httpx.TransportError as exc:
            raise SandboxConnectionError(
                f"connection to the sandbox server at {self.base_url} failed: {exc}"
            ) from exc
