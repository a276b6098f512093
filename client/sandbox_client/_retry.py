"""Sending a safe request again when the server dropped its connection before answering.

Every HTTP/1.1 client that keeps connections alive has the same race: the server closes an
idle connection (its keep-alive timeout ran out) at the moment the client sends the next
request on it. The request then meets a closed socket and fails with "connection reset" or
"server disconnected without sending a response", although nothing is wrong with the server
or the request. httpx does not send such a request again, so without this every poll of a
job could fail at random on a busy machine.

The policy, in :class:`RetryingTransport`:

- only a *safe* request (``GET``, ``HEAD``, ``OPTIONS``: it changes nothing on the server)
  is sent again, and only when the failure came before any response (the transport raised
  while sending it or waiting for the status line). A ``POST``, ``PUT``, ``PATCH`` or
  ``DELETE`` is never sent twice: the server may have processed it before the connection
  died, and it honours no idempotency key that would make a second one harmless;
- a timeout is not retried (the server is slow, not gone: a second request only adds load),
  nor is a refused connection (nothing listens: saying so at once is more useful);
- the second attempt waits :data:`RETRY_BACKOFF` seconds and goes out on a new connection
  (the pool drops the dead one), so a server that really went away fails it too.

A safe request the server refused for its rate (429 ``Retry-After``, :mod:`api.rate_limits`
on the server) is sent again after the wait it names, at most :data:`RATE_RETRIES` times and
only when the wait is at most :data:`MAX_RATE_WAIT` seconds, so a job's polling slows down
instead of failing; a refused ``POST`` (a job over its quota) is never sent again.
"""

from __future__ import annotations

import time
from types import TracebackType

import httpx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing on the server, so sending one twice is harmless."""

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
"""What a connection closed or reset by the server raises before any response arrived."""

RETRIES = 1
"""How many more times a safe request is sent after its connection was dropped."""

RETRY_BACKOFF = 0.2
"""Seconds before the next attempt: enough for the server to finish closing, not to notice."""

RATE_RETRIES = 3
"""How many more times a safe request refused for its rate (429) is sent."""

MAX_RATE_WAIT = 10.0
"""Longest ``Retry-After`` the client waits on its own; a longer one is the caller's to see."""


def rate_wait(response: httpx.Response) -> float | None:
    """The seconds a 429's ``Retry-After`` asks for, if the client should wait them."""
    if response.status_code != 429:
        return None
    try:
        wait = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return wait if 0 <= wait <= MAX_RATE_WAIT else None


def may_retry(request: httpx.Request) -> bool:
    """Whether ``request`` may be sent again: a safe method whose body (if any) is in memory."""
    return request.method.upper() in SAFE_METHODS and isinstance(request.stream, httpx.ByteStream)


class RetryingTransport(httpx.BaseTransport):
    """A transport that sends a safe request again once its connection was dropped.

    Args:
        inner: The transport that really sends (the network pool, or a test's transport).
        retries: Further attempts after a dropped connection (:data:`RETRIES`).
        backoff: Seconds before each further attempt (:data:`RETRY_BACKOFF`).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        retries: int = RETRIES,
        backoff: float = RETRY_BACKOFF,
    ) -> None:
        self._inner = inner
        self._retries = retries
        self._backoff = backoff

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempts_left = self._retries if may_retry(request) else 0
        rate_attempts_left = RATE_RETRIES if may_retry(request) else 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except DROPPED:
                if attempts_left <= 0:
                    raise
                attempts_left -= 1
                time.sleep(self._backoff)
                continue
            wait = rate_wait(response)
            if wait is None or rate_attempts_left <= 0:
                return response
            rate_attempts_left -= 1
            response.close()
            time.sleep(wait)

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> RetryingTransport:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self._inner.__exit__(exc_type, exc_value, traceback)
