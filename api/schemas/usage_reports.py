"""Request and response schemas of the usage and risk reports a grant's holder owes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, FromDomain, Strict
from api.types import Id
from sandbox.access.model import GrantStatus
from sandbox.oversight.model import ReportKind


class ReportCreate(Strict):
    """Body of ``POST /v1/usage-reports``: a ``usage`` report fills ``use``, ``results``
    and ``benefits``; a ``risk`` report fills ``data_used``, ``processing``, ``risks`` and
    ``measures``.
    """

    grant_id: Id
    kind: Choice[ReportKind]
    use: str | None = Field(default=None, max_length=TEXT_CHARS)
    results: str | None = Field(default=None, max_length=TEXT_CHARS)
    benefits: str | None = Field(default=None, max_length=TEXT_CHARS)
    data_used: str | None = Field(default=None, max_length=TEXT_CHARS)
    """Kinds and amounts of data used."""
    processing: str | None = Field(default=None, max_length=TEXT_CHARS)
    risks: str | None = Field(default=None, max_length=TEXT_CHARS)
    measures: str | None = Field(default=None, max_length=TEXT_CHARS)

    def fields(self) -> dict[str, str | None]:
        """The report's text fields by name."""
        return self.model_dump(exclude={"grant_id", "kind"})


class ReportPublic(FromDomain):
    """A filed report."""

    id: int
    grant_id: int
    grant_ref: str
    kind: ReportKind
    content: dict[str, str]
    submitted_by: str
    submitted_at: datetime


class ReportDuePublic(FromDomain):
    """When a grant's next report of one kind is due, and whether it is missing."""

    grant_id: int
    grant_ref: str
    holder: str
    provider_org: str
    grant_status: GrantStatus
    kind: ReportKind
    interval_days: int
    last_report_at: datetime | None
    due_on: date
    missing: bool
    days_overdue: int


class ReportDueList(BaseModel):
    """Report deadlines, the missing ones first."""

    data: list[ReportDuePublic]
    count: int
    missing: int
