"""Response schemas of workflow stages and their deadlines, shared by every case (an
application, a request for unopened data, a complaint, an objection), and the authority's
list of overdue items.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import FromDomain
from sandbox.access.model import Stage, StageKind, Subject
from sandbox.identity.model import Role
from sandbox.workdays import TimeLeft


class StagePublic(FromDomain):
    """A workflow stage with its deadline (from :class:`sandbox.access.model.Stage`): open
    ones show the time left.
    """

    id: int
    subject: Subject
    subject_id: int
    stage: StageKind = Field(validation_alias="kind")
    assignee_role: Role
    assignee_org: str | None
    started_at: datetime
    due_on: date
    due_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    outcome: str
    note: str
    open: bool = Field(validation_alias="is_open")
    working_days_left: int | None = Field(validation_alias="time_left")
    """Working days after today up to the due day (0: due today; negative: overdue)."""
    overdue: bool | None = Field(validation_alias="time_left")
    time_left: str | None
    """``3 working days left``, ``due today``, ``overdue by 2 working days``."""
    provisional: bool | None = Field(validation_alias="time_left")
    """The days up to the due day lie in a year whose holiday arrangement is not confirmed
    yet (statutory holidays only): a make-up working day may still move it."""
    met_deadline: bool | None

    @field_validator("working_days_left", mode="before")
    @classmethod
    def _days_left(cls, left: TimeLeft | None) -> int | None:
        return None if left is None else left.working_days_left

    @field_validator("overdue", mode="before")
    @classmethod
    def _overdue(cls, left: TimeLeft | None) -> bool | None:
        return None if left is None else left.overdue

    @field_validator("provisional", mode="before")
    @classmethod
    def _provisional(cls, left: TimeLeft | None) -> bool | None:
        return None if left is None else left.provisional

    @field_validator("time_left", mode="before")
    @classmethod
    def _phrase(cls, left: TimeLeft | None) -> str | None:
        """The time left as a phrase for people (:meth:`TimeLeft.describe`)."""
        return None if left is None else left.describe()


def open_stage(stages: tuple[Stage, ...]) -> Stage | None:
    """The stage that still waits for its assignee (a case has at most one), or ``None``."""
    return next((stage for stage in stages if stage.is_open), None)


class WithStages(FromDomain):
    """A case with its stages; ``current_stage`` is the open one, with its deadline and time
    left, and null once the case is decided.
    """

    current_stage: StagePublic | None = Field(validation_alias="stages")
    stages: list[StagePublic]

    @field_validator("current_stage", mode="before")
    @classmethod
    def _current(cls, stages: tuple[Stage, ...]) -> Stage | None:
        return open_stage(stages)


class OverduePublic(FromDomain):
    """An item past its deadline. ``status`` is its case's status, whatever the kind of
    case (``?`` when the case is gone).
    """

    title: str
    status: str
    stage: StagePublic


class OverdueList(BaseModel):
    """Every open stage past its deadline, the most overdue first."""

    on: date
    data: list[OverduePublic]
    count: int
