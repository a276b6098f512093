"""Request and response schemas of objections to errors and omissions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, Strict
from api.schemas.demands import NAME_CHARS
from api.schemas.stages import WithStages
from api.types import Id, Version
from sandbox.oversight.model import CaseStatus, ObjectionKind, ObjectionOutcome


class ObjectionCreate(Strict):
    """Body of ``POST /v1/objections``."""

    dataset: str = Field(min_length=1, max_length=NAME_CHARS)
    kind: Choice[ObjectionKind]
    description: str = Field(max_length=TEXT_CHARS)


class ObjectionAnswer(Strict):
    """Body of ``POST /v1/objections/{id}/answer``: ``rejected``, or ``corrected`` naming the
    new version holding the correction (``version``) or, for an objection to the open
    attribute, the attribute change filed since (``attribute_change``); with the answer's text.
    """

    outcome: Choice[ObjectionOutcome]
    answer: str = Field(max_length=TEXT_CHARS)
    version: Version | None = None
    attribute_change: Id | None = None


class ObjectionPublic(WithStages):
    """An objection with its answer stage (``outcome`` is empty until it is answered)."""

    id: int
    objector: str
    dataset: str
    provider_org: str
    kind: ObjectionKind
    description: str
    version_at_filing: int | None
    status: CaseStatus
    submitted_at: datetime
    outcome: ObjectionOutcome | Literal[""]
    answer: str
    corrected_version: int | None
    answered_by: str | None
    answered_at: datetime | None
