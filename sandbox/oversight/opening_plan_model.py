"""The value types of the opening plans (:mod:`sandbox.oversight.opening_plan`): a plan's
state, its entries and their progress.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sandbox.catalog.model import OpenAttribute


class PlanStatus(enum.StrEnum):
    """Where an opening plan stands."""

    DRAFT = "draft"
    """Being drawn up (or returned by the authority with its reason)."""
    SUBMITTED = "submitted"
    """Waiting for the authority's review (Lianyungang art. 12)."""
    PUBLISHED = "published"
    """Approved and public; only the authority amends it."""


class EntryState(enum.StrEnum):
    """How far an entry is from being met."""

    PENDING = "pending"
    MET = "met"
    MET_LATE = "met_late"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class PlanEntry:
    """One dataset a plan says its organisation opens by ``due_on``."""

    id: int
    dataset: str
    title: str
    open_attribute: OpenAttribute
    due_on: date
    state: EntryState
    met_on: date | None
    """The day the dataset was first in the catalog, once it is."""


@dataclass(frozen=True)
class OpeningPlan:
    """One organisation's opening plan for one year, with each entry's progress."""

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
    entries: tuple[PlanEntry, ...]

    def count(self, state: EntryState) -> int:
        """How many entries are in ``state``."""
        return sum(1 for e in self.entries if e.state is state)
