"""Request and response schemas of grants and the agreement their holders accept."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import FromDomain, Strict
from sandbox.access.model import GrantStatus, JobKind


class GrantPublic(FromDomain):
    """A grant; ``status`` is as of the request (``expired`` once the period is over)."""

    id: int
    ref: str
    application_id: int
    holder: str
    provider_org: str
    datasets: list[str]
    job_kinds: list[JobKind]
    policy: dict[str, Any]
    period_start: date
    period_end: date
    valid_from: datetime
    valid_until: datetime
    status: GrantStatus
    status_reason: str
    created_at: datetime
    approved_by: str
    agreement_version: str | None
    agreement_sha256: str | None
    accepted_at: datetime | None
    report_interval_days: int


class AgreementPublic(FromDomain):
    """The agreement text in force, which the grant's holder accepts."""

    version: str
    sha256: str
    text: str


class AgreementAccept(Strict):
    """Body of ``POST /v1/grants/{id}/accept``: the version (and hash) of the text read."""

    agreement_version: str = Field(min_length=1, max_length=64)
    agreement_sha256: str | None = Field(default=None, min_length=64, max_length=64)


class GrantStatusChange(Strict):
    """Body of suspend, resume and revoke: the reason (required to suspend or revoke)."""

    reason: str = Field(default="", max_length=TEXT_CHARS)
