"""Reading the oversight pages' posted forms: URL-encoded fields, CSRF checked first.

The console has no multipart parser and needs none here: these forms carry short text
fields only. A form that fails its CSRF check changes nothing (the 403 page).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request

from api.session_auth import check_csrf
from sandbox.errors import InvalidRequest

MAX_FORM_BYTES = 1024 * 1024
"""The largest form these pages accept (a policy document is far smaller)."""


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields (the first value of each), after the CSRF check."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequest(f"the form is larger than {MAX_FORM_BYTES} bytes")
    fields = {
        name: values[0]
        for name, values in parse_qs(
            body.decode("utf-8", errors="replace"), keep_blank_values=True
        ).items()
    }
    check_csrf(request, fields.get("csrf_token"))
    return fields


def form_id(value: str | None, label: str) -> int:
    """A posted id: a positive integer, else a typed error naming the field."""
    text = (value or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidRequest(f"{label} must be a positive whole number")
    return int(text)
