"""The request observer around an app: every response (an unexpected 500 too) carries the
request id, the failure's log line carries it, and the latency metric is labelled by the
route's full template (routers' prefixes included), never by the path called.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter

from api.errors import install_error_handlers
from api.observability import ObservedFastAPI, route_templates
from sandbox.observability import metrics
from sandbox.observability.logs import configure_logging


@pytest.fixture
def app() -> ObservedFastAPI:
    made = ObservedFastAPI()
    inner = APIRouter()

    @inner.get("/things/special")  # before the template that would match it too
    def special() -> dict[str, str]:
        return {"special": "yes"}

    @inner.get("/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @inner.get("/boom")
    def boom() -> None:
        raise RuntimeError("the handler broke")

    outer = APIRouter(prefix="/v9")
    outer.include_router(inner)
    made.include_router(outer)
    install_error_handlers(made)
    return made


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)
    yield stream
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_sandbox_handler", False):
            root.removeHandler(handler)


def _get(app: ObservedFastAPI, *paths: str, **headers: str) -> list[httpx.Response]:
    """GET each path through the app in-process (no server, no lifespan)."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path, headers=headers) for path in paths]

    return asyncio.run(run())


def _count(route: str, status: str) -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return (
        metrics.REGISTRY.get_sample_value("sandbox_http_request_duration_seconds_count", labels)
        or 0.0
    )


def test_an_unexpected_failure_keeps_its_request_id(
    app: ObservedFastAPI, log_stream: io.StringIO
) -> None:
    (response,) = _get(app, "/v9/boom", **{"X-Request-ID": "boom-1"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "boom-1"
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    failure = [line for line in lines if line["message"] == "unexpected error"]
    assert failure and failure[0]["request_id"] == "boom-1"
    assert "the handler broke" in failure[0]["exception"]
    request_line = [line for line in lines if line["logger"] == "sandbox.http"]
    assert request_line[0]["status"] == 500 and request_line[0]["route"] == "/v9/boom"


def test_latency_is_labelled_by_the_full_template(app: ObservedFastAPI) -> None:
    before = _count("/v9/things/{thing_id}", "2xx")
    special = _count("/v9/things/special", "2xx")
    first, second, named, missing = _get(
        app, "/v9/things/41", "/v9/things/42", "/v9/things/special", "/v9/nothing/here"
    )
    assert first.status_code == second.status_code == 200
    assert named.json() == {"special": "yes"} and missing.status_code == 404
    assert _count("/v9/things/{thing_id}", "2xx") == before + 2
    assert _count("/v9/things/special", "2xx") == special + 1
    assert _count("unmatched", "4xx") >= 1
    routes = metrics.label_values()["route"]
    assert "/v9/things/41" not in routes and "/v9/nothing/here" not in routes


def test_finding_a_template_is_cheap_on_a_large_app() -> None:
    from api.main import create_app

    templates = route_templates(create_app())
    assert len(templates) > 100
    started = time.perf_counter()
    for _ in range(1000):
        [t for t in templates if t.matches("/v1/datasets/census/versions")]
    per_request = (time.perf_counter() - started) / 1000
    assert per_request < 0.002, per_request  # ~50 us here; a 2-core machine under load
