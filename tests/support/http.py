"""Assertions on HTTP responses that every API test makes: it answered as expected, or it
refused with the expected status and a message naming the reason.
"""

from __future__ import annotations

from typing import Any

import httpx


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The response's JSON body, once its status is ``status`` (the body shows otherwise)."""
    assert response.status_code == status, response.text
    return response.json()


def refused(response: httpx.Response, status: int, *needles: str) -> str:
    """The refusal's message, once the status is ``status`` and the message holds every
    one of ``needles``."""
    assert response.status_code == status, response.text
    message: str = response.json()["message"]
    for needle in needles:
        assert needle in message, message
    return message
