"""Per-user and per-address request rates: a token bucket for each caller, in memory.

Each signed-in user (bearer token or sign-in session) has a bucket of
``rate_limit_user_burst`` requests refilled at ``rate_limit_user_per_second``; a request
without valid credentials draws from the bucket of its client address instead
(``rate_limit_address_*``), so public pages and guessed tokens cannot flood the server
either. An empty bucket answers 429 ``rate_limited`` with ``Retry-After``, the seconds
until one request's worth has refilled, and the body names the limit.

The buckets live in the process. With several API processes behind one load balancer each
keeps its own, so ``rate_limit_processes`` = N gives each process a 1/N share of rate and
burst: together they allow about the configured rate whichever process a request reaches
(a client pinned to one process gets only its share). A bucket shared through PostgreSQL
would be exact but would cost a write per request, the very load the limit protects
against; the share is the trade-off chosen here.

Health, readiness and metrics are never limited: an orchestrator's probes must not be
turned away by the traffic they watch; nor are the console's static files. The console's
HTML pages resolve their viewer themselves (:mod:`api.console.auth`): a signed-in page view
draws from its user's bucket through :func:`rate_limited_resolver`, one without a session
from its address; a refused page is the console's 429 page with ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.session_auth import SESSION_COOKIE
from sandbox.config import Settings
from sandbox.errors import Throttled
from sandbox.identity.model import Actor
from sandbox.platform import Platform

__all__ = [
    "EXEMPT_PATHS",
    "AddressRateLimit",
    "RateLimiter",
    "RateLimits",
    "TokenBucketRule",
    "client_address",
    "has_credentials",
    "limiter_of",
    "rate_limited_resolver",
    "throttled_body",
    "throttled_response",
]

EXEMPT_PATHS = frozenset({"/v1/health", "/v1/ready", "/metrics"})
"""Paths no rate applies to (probes and scrapes)."""


def exempt_prefixes() -> tuple[str, ...]:
    """The console's static files: a page's stylesheets and scripts are not requests of
    their own, so they never use up a visitor's rate. The console is imported here, not
    at the top: its package imports the dependencies that import this module.
    """
    from api.console.paths import STATIC_URL, VENDOR_URL

    return (f"{STATIC_URL}/", f"{VENDOR_URL}/")


MAX_BUCKETS = 100_000
"""Buckets kept per rule; the least recently used go first (a full bucket is the same as
none, so forgetting an idle caller loses nothing)."""


@dataclass(frozen=True)
class TokenBucketRule:
    """One rate: ``burst`` requests at once, refilled at ``per_second``; 0 turns it off."""

    name: str
    """The limit's name as the error body states it (``rate_limit_user``)."""
    per_second: float
    burst: float

    @property
    def enabled(self) -> bool:
        """Whether the rule limits anything (a rate of 0 turns it off)."""
        return self.per_second > 0


class RateLimiter:
    """Token buckets by key under one rule; thread-safe (handlers run in worker threads)."""

    def __init__(self, rule: TokenBucketRule, clock: Callable[[], float] = time.monotonic) -> None:
        self.rule = rule
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0.0 when granted, else the seconds until
        one request's worth will have refilled (nothing is taken then).
        """
        if not self.rule.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.rule.burst, now))
            tokens = min(self.rule.burst, tokens + (now - last) * self.rule.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rule.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True)
class RateLimits:
    """The server's two limiters: by user and by client address."""

    user: RateLimiter
    address: RateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """This process's share of the configured rates (see the module docstring)."""
        share = settings.rate_limit_processes
        return cls(
            user=RateLimiter(
                TokenBucketRule(
                    "rate_limit_user",
                    settings.rate_limit_user_per_second / share,
                    max(1.0, settings.rate_limit_user_burst / share),
                )
            ),
            address=RateLimiter(
                TokenBucketRule(
                    "rate_limit_address",
                    settings.rate_limit_address_per_second / share,
                    max(1.0, settings.rate_limit_address_burst / share),
                )
            ),
        )

    def check_user(self, user_id: int) -> None:
        """Raise :class:`Throttled` when ``user_id`` has used up its rate."""
        _raise_if_waiting(self.user, f"user:{user_id}", "this user")

    def check_address(self, address: str) -> None:
        """Raise :class:`Throttled` when ``address`` has used up its rate."""
        _raise_if_waiting(self.address, f"address:{address}", "this client address")


def _raise_if_waiting(limiter: RateLimiter, key: str, who: str) -> None:
    wait = limiter.take(key)
    if wait > 0:
        rule = limiter.rule
        raise Throttled(
            f"too many requests from {who}: the limit {rule.name} allows "
            f"{rule.per_second:g} per second with bursts of {rule.burst:g}; "
            f"retry in {math.ceil(wait)} s",
            limit=rule.name,
            retry_after_seconds=math.ceil(wait),
        )


SessionResolver = Callable[[Request, Platform], Actor | None]


def rate_limited_resolver(resolver: SessionResolver) -> SessionResolver:
    """The console's session resolver, drawing each signed-in page view from its user's
    bucket as :func:`api.deps.current_actor` does for the API (the console resolves its
    viewer once a request, in a dependency FastAPI caches).
    """

    def resolve(request: Request, platform: Platform) -> Actor | None:
        actor = resolver(request, platform)
        limits = limiter_of(request)
        if actor is not None and actor.user_id is not None and limits is not None:
            limits.check_user(actor.user_id)
        return actor

    return resolve


def limiter_of(request: Request) -> RateLimits | None:
    """The app's rate limits (``None`` in an app built without them)."""
    limits = getattr(request.app.state, "rate_limits", None)
    return limits if isinstance(limits, RateLimits) else None


def client_address(scope: MutableMapping[str, Any] | Scope) -> str:
    """The peer address of a request (a proxy's, behind one)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def throttled_body(error: Throttled) -> dict[str, Any]:
    """The error body of a 429: the one shape, plus the limit and when to retry."""
    return {
        "error": error.code,
        "message": error.message,
        "limit": error.limit,
        "retry_after_seconds": error.retry_after_seconds,
    }


def throttled_response(error: Throttled) -> JSONResponse:
    """A 429 with ``Retry-After`` in whole seconds."""
    return JSONResponse(
        throttled_body(error),
        status_code=429,
        headers={"Retry-After": str(error.retry_after_seconds)},
    )


class AddressRateLimit:
    """ASGI middleware: a request carrying no credentials draws from its address's bucket.

    A request with a bearer token or session cookie is limited by its user once the token
    is checked (:func:`api.deps.current_actor`), and by its address only if the
    credentials turn out invalid, so many users behind one proxy do not share one bucket.
    """

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits
        self.exempt_prefixes = exempt_prefixes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 429 for a credential-less request over its address's rate."""
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path in EXEMPT_PATHS or path.startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        if not has_credentials(scope):
            try:
                self.limits.check_address(client_address(scope))
            except Throttled as error:
                await throttled_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def has_credentials(scope: Scope) -> bool:
    """Whether a request carries a bearer token or a sign-in session cookie."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return True
        if name == b"cookie" and SESSION_COOKIE.encode("latin-1") in value:
            return True
    return False
