"""The request id and job id of the work this context is doing, for logs and jobs.

A request id comes from the caller's ``X-Request-ID`` header when it is a plausible id
(:func:`accepted_request_id`), else the platform makes one (:func:`new_request_id`). The HTTP
layer binds it for the request; a job submitted by that request stores it, and the job's
runner (a Ray task, another process) binds it again with the job's id, so that every log line
about the job, wherever it is written, can be found from the id the client was given.

Context variables follow the request into the worker thread FastAPI runs a handler in
(anyio copies the context); a thread started by hand does not inherit them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "REQUEST_ID_PATTERN",
    "accepted_request_id",
    "bound",
    "current_job_id",
    "current_request_id",
    "new_request_id",
]

REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
"""What a caller's ``X-Request-ID`` may be: up to 64 characters of letters, digits and
``. _ : -`` (a UUID, a trace id, a load balancer's id). Anything else (spaces, quotes,
control characters that could forge log lines, longer text) is replaced, not trusted."""

_request_id: ContextVar[str | None] = ContextVar("sandbox_request_id", default=None)
_job_id: ContextVar[int | None] = ContextVar("sandbox_job_id", default=None)


def new_request_id() -> str:
    """A fresh request id (a random UUID's 32 hex digits)."""
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """``value`` if it is a request id the platform takes as given, else ``None``."""
    if value is None or REQUEST_ID_PATTERN.fullmatch(value) is None:
        return None
    return value


def current_request_id() -> str | None:
    """The request id bound in this context, if any."""
    return _request_id.get()


def current_job_id() -> int | None:
    """The job id bound in this context, if any."""
    return _job_id.get()


@contextmanager
def bound(*, request_id: str | None = None, job_id: int | None = None) -> Iterator[None]:
    """Bind a request id and/or a job id for the duration of the block.

    ``None`` leaves what is bound already (a job handled inside a request keeps the request's
    id unless the job has its own).
    """
    request_token = _request_id.set(request_id) if request_id is not None else None
    job_token = _job_id.set(job_id) if job_id is not None else None
    try:
        yield
    finally:
        if job_token is not None:
            _job_id.reset(job_token)
        if request_token is not None:
            _request_id.reset(request_token)
