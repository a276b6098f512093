"""Request and response schemas of public reports of misuse and security problems."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, Strict
from api.schemas.demands import NAME_CHARS
from api.schemas.stages import WithStages
from api.types import Id
from sandbox.oversight.model import ComplaintKind
from sandbox.oversight.public_reports import ReportKind, ReportOutcome, ReportStatus


class ReportCreate(Strict):
    """Body of ``POST /v1/public-reports`` (anyone; without signing in, ``contact`` is
    required).
    """

    kind: Choice[ReportKind]
    description: str = Field(min_length=1, max_length=TEXT_CHARS)
    dataset: str | None = Field(default=None, min_length=1, max_length=NAME_CHARS)
    product_id: Id | None = None
    contact: str = Field(default="", max_length=200)
    """An e-mail address or a phone number where the answer can reach you."""


class ReportAnswer(Strict):
    """Body of ``POST /v1/public-reports/{id}/answer``."""

    outcome: Choice[ReportOutcome]
    answer: str = Field(min_length=1, max_length=TEXT_CHARS)
    complaint_kind: Choice[ComplaintKind] | None = None
    """With ``complaint`` (the authority): what the complaint says was infringed."""
    user_id: Id | None = None
    """With ``rectification`` (the provider): the user asked to rectify."""


class PublicReportPublic(WithStages):
    """A report as the provider, the authority and its reporter see it (a visitor sees it
    once, in the answer to its filing).
    """

    id: int
    kind: ReportKind
    dataset: str | None
    product_id: int | None
    provider_org: str | None
    description: str
    reporter: str | None
    contact: str
    status: ReportStatus
    submitted_at: datetime
    outcome: str
    answer: str
    answered_by: str | None
    answered_at: datetime | None
    complaint_id: int | None
    rectified_user_id: int | None
