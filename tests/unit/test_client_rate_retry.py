"""The client waits out a short 429 on a safe request and never resends a refused POST
(:mod:`sandbox_client._retry`); a 429 it does not wait out names its limit and wait."""

from __future__ import annotations

import httpx
from sandbox_client import _retry
from sandbox_client._http import error_from
from sandbox_client._retry import RetryingTransport


def _throttling(refusals: int, retry_after: str = "0") -> tuple[httpx.MockTransport, list[str]]:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) <= refusals:
            body = {"error": "rate_limited", "message": "slow down", "limit": "rate_limit_user"}
            return httpx.Response(429, json=body, headers={"Retry-After": retry_after})
        return httpx.Response(200, json={"ok": True})

    return httpx.MockTransport(answer), seen


def test_a_safe_request_waits_out_a_short_429() -> None:
    inner, seen = _throttling(2)
    with httpx.Client(transport=RetryingTransport(inner), base_url="http://x") as client:
        assert client.get("/v1/jobs/1").status_code == 200
    assert seen == ["GET", "GET", "GET"]


def test_a_post_is_never_sent_twice_and_the_error_names_the_limit() -> None:
    inner, seen = _throttling(5, retry_after="10")
    with httpx.Client(transport=RetryingTransport(inner), base_url="http://x") as client:
        response = client.post("/v1/jobs", json={})
    assert response.status_code == 429 and seen == ["POST"]
    error = error_from(response)
    assert (error.status, error.code, error.limit, error.retry_after) == (
        429,
        "rate_limited",
        "rate_limit_user",
        10.0,
    )


def test_a_long_or_repeated_429_reaches_the_caller() -> None:
    inner, seen = _throttling(1, retry_after=str(_retry.MAX_RATE_WAIT + 1))
    with httpx.Client(transport=RetryingTransport(inner), base_url="http://x") as client:
        assert client.get("/v1/jobs").status_code == 429
    assert seen == ["GET"]
    inner, seen = _throttling(100)
    with httpx.Client(transport=RetryingTransport(inner), base_url="http://x") as client:
        assert client.get("/v1/jobs").status_code == 429
    assert len(seen) == 1 + _retry.RATE_RETRIES
