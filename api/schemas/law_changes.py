"""Request and response schemas of changes of law and the catalog tasks they open."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, FromDomain, Strict
from api.schemas.demands import NAME_CHARS
from api.schemas.stages import WithStages
from api.types import INT32_MAX, Id
from sandbox.oversight.law_change_references import TaskResolution
from sandbox.oversight.law_changes import LawChangeKind, TaskStatus


class LawChangeCreate(Strict):
    """Body of ``POST /v1/law-changes`` (the authority): the affected datasets and/or
    provider organisations (each of their datasets gets a task).
    """

    kind: Choice[LawChangeKind]
    citation: str = Field(min_length=1, max_length=300)
    summary: str = Field(default="", max_length=TEXT_CHARS)
    changed_on: date
    """The day the law was revised or the function changed: the 15 working days run from it."""
    datasets: list[str] = Field(default_factory=list, max_length=500)
    organisations: list[Id] = Field(default_factory=list, max_length=100)


class TaskClose(Strict):
    """Body of ``POST /v1/law-change-tasks/{id}/close``."""

    resolution: Choice[TaskResolution]
    reference: int | None = Field(default=None, ge=1, le=INT32_MAX)
    """The attribute change's id, the policy document's id or the version number (the
    newest since the change of law when left out, for a policy or a version)."""
    reason: str = Field(default="", max_length=TEXT_CHARS)
    """Required with ``no_change``."""


class LawChangeTaskPublic(WithStages):
    """One dataset's catalog update after a change of law, with its 15-working-day stage."""

    id: int
    law_change_id: int
    citation: str
    dataset: str = Field(max_length=NAME_CHARS)
    provider_org: str
    status: TaskStatus
    resolution: str
    reference: int | None
    reason: str
    closed_by: str | None
    closed_at: datetime | None


class LawChangePublic(FromDomain):
    """A recorded change of law with the tasks the reader sees."""

    id: int
    kind: LawChangeKind
    citation: str
    summary: str
    changed_on: date
    recorded_by: str
    recorded_at: datetime
    tasks: list[LawChangeTaskPublic]
