"""Request and response schemas of the opening plans (open responsibility lists)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, FromDomain, Strict
from api.schemas.demands import NAME_CHARS
from api.types import Id
from sandbox.catalog.model import OpenAttribute
from sandbox.oversight.opening_plan_model import EntryState, PlanStatus


class PlanEntryCreate(Strict):
    """Body of ``POST /v1/opening-plans/entries``: a dataset an organisation opens by
    ``due_on`` (within ``year``); the dataset may not be registered yet.
    """

    organisation_id: Id
    year: int = Field(ge=2000, le=2100)
    dataset: str = Field(min_length=1, max_length=NAME_CHARS)
    title: str = Field(min_length=1, max_length=300)
    open_attribute: Choice[OpenAttribute]
    due_on: date


class PlanEntryRemove(Strict):
    """Body of ``POST /v1/opening-plans/{id}/entries/{entry_id}/remove``; a published plan
    needs the reason.
    """

    reason: str = Field(default="", max_length=TEXT_CHARS)


class PlanDecision(Strict):
    """Body of ``POST /v1/opening-plans/{id}/decision`` (the authority)."""

    outcome: str = Field(pattern="^(publish|return)$")
    """``publish`` (approve and make public) or ``return`` (to draft, with the note)."""
    note: str = Field(default="", max_length=TEXT_CHARS)


class PlanEntryPublic(FromDomain):
    """A planned dataset with its progress: ``met`` once it is in the catalog by its date,
    ``met_late`` after it, ``overdue`` while missing past it.
    """

    id: int
    dataset: str
    title: str
    open_attribute: OpenAttribute
    due_on: date
    state: EntryState
    met_on: date | None


class OpeningPlanPublic(FromDomain):
    """One organisation's opening plan for one year."""

    id: int
    organisation: str
    organisation_id: int
    year: int
    status: PlanStatus
    note: str
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    published_by: str | None
    published_at: datetime | None
    entries: list[PlanEntryPublic]
