"""How many requests run inside the app at once.

Sync handlers, their session dependencies and the serialisation of their responses run on
AnyIO's worker threads. A request holds its database connection from its first query until
its session closes, after the response has been validated, which needs a worker thread
again. When every worker thread was taken by requests waiting for a connection, the
requests holding the connections could not get a thread to finish: under 50 concurrent
clients the server stopped answering until the pool's wait timed out (500s after 30 s).

So at most :data:`IN_FLIGHT` requests are inside the app at a time, fewer than the
:data:`WORKER_THREADS` the pool is widened to: a request that holds a connection can always
get a thread. The rest wait their turn in the event loop, in order of arrival, using no
thread and no connection. Liveness (``/v1/health``) does not wait behind them.
"""

from __future__ import annotations

import anyio
from anyio.to_thread import current_default_thread_limiter
from starlette.types import ASGIApp, Receive, Scope, Send

WORKER_THREADS = 64
"""AnyIO's worker threads for sync handlers and dependencies (its default is 40)."""

IN_FLIGHT = 48
"""Requests inside the app at once; the other 16 threads are the headroom that lets a
request holding a connection finish."""

UNBOUNDED_PATHS = frozenset({"/v1/health"})
"""Answered at once whatever the load: liveness touches no database."""


def widen_worker_threads(tokens: int = WORKER_THREADS) -> None:
    """Set the worker-thread pool's size (call from within the event loop, at start-up)."""
    current_default_thread_limiter().total_tokens = tokens


class BoundedInFlight:
    """ASGI middleware admitting at most ``limit`` HTTP requests into ``app`` at once."""

    def __init__(self, app: ASGIApp, limit: int = IN_FLIGHT) -> None:
        if limit >= WORKER_THREADS:
            raise ValueError(f"limit {limit} must stay below the {WORKER_THREADS} threads")
        self._app = app
        self._limit = limit
        self._admitted: anyio.Semaphore | None = None  # made in the serving event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a free place (HTTP only, liveness excepted), then run the request."""
        if scope["type"] != "http" or scope.get("path") in UNBOUNDED_PATHS:
            await self._app(scope, receive, send)
            return
        if self._admitted is None:
            self._admitted = anyio.Semaphore(self._limit, fast_acquire=True)
        async with self._admitted:
            await self._app(scope, receive, send)
