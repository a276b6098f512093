"""``/metrics``: the Prometheus exposition of this process's counters and the platform's gauges.

Who may read it: a caller on this host (a loopback address, and no ``X-Forwarded-For``,
``Forwarded`` or ``X-Real-IP`` header: a request a proxy forwarded came from somewhere else),
or one presenting the operator's token (``Authorization: Bearer <SANDBOX_METRICS_TOKEN>``).
Platform accounts' tokens do not open it: the metrics are the operator's, not a role's.
Anyone else gets ``403``. The labels hold platform vocabulary only
(:mod:`sandbox.observability.metrics`), but the volume of jobs and charges is still the
operator's business.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.errors import error_responses
from sandbox.errors import PermissionDenied
from sandbox.jobs.dispatcher import JobDispatcher
from sandbox.jobs.metrics import JobTableCollector, ReadinessCollector
from sandbox.observability.metrics import REGISTRY
from sandbox.platform import Platform

router = APIRouter(tags=["health"])

FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def scrape_registry(platform: Platform, dispatcher: JobDispatcher) -> CollectorRegistry:
    """The scrape-time gauges of one app (the job table, readiness)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobTableCollector(platform))
    registry.register(ReadinessCollector(platform, lambda: dispatcher.compute_state))
    return registry


def _from_this_host(request: Request) -> bool:
    if request.client is None or any(h in request.headers for h in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:  # a Unix socket's peer, a test client's name
        return False


def _has_operator_token(request: Request, platform: Platform) -> bool:
    expected = platform.settings.metrics_token.get_secret_value()
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "The Prometheus text exposition format",
        },
        **error_responses(403),
    },
)
def prometheus_metrics(request: Request) -> Response:
    """Prometheus metrics: HTTP latency by route template, jobs by state, the queue, job
    and sandbox durations, sandbox starts and failures by backend, DP charges by accounting,
    ledger refusals by budget, readiness by part. Loopback callers, or the operator's
    ``SANDBOX_METRICS_TOKEN`` as a bearer token; anyone else gets ``403``.
    """
    platform: Platform = request.app.state.platform
    if not (_from_this_host(request) or _has_operator_token(request, platform)):
        raise PermissionDenied(
            "/metrics answers callers on this host, or with the operator's metrics token "
            "(SANDBOX_METRICS_TOKEN) as a bearer token"
        )
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
