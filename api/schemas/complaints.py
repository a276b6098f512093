"""Request and response schemas of complaints and their evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, FromDomain, Strict
from api.schemas.demands import NAME_CHARS
from api.schemas.stages import WithStages
from api.schemas.suspensions import ReprocessIn
from sandbox.oversight.model import CaseStatus, ComplaintKind, Resolution


class ComplaintCreate(Strict):
    """Body of ``POST /v1/complaints``; evidence files are attached afterwards."""

    dataset: str = Field(min_length=1, max_length=NAME_CHARS)
    kind: Choice[ComplaintKind]
    description: str = Field(max_length=TEXT_CHARS)
    evidence_text: str = Field(default="", max_length=TEXT_CHARS)


class EvidencePublic(FromDomain):
    """An evidence file attached to a complaint."""

    id: int
    filename: str
    byte_size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class ComplaintAnswer(ReprocessIn):
    """Body of ``POST /v1/complaints/{id}/answer``: the answer's text and what was done
    with the dataset: ``restore``, ``reprocess`` (with ``upload_id`` and ``method``) or
    ``end``.
    """

    outcome: Literal["restore", "reprocess", "end"]
    answer: str = Field(max_length=TEXT_CHARS)


class ComplaintPublic(WithStages):
    """A complaint with its evidence and its answer stage (``outcome`` is empty until it is
    answered).
    """

    id: int
    complainant: str
    dataset: str
    provider_org: str
    kind: ComplaintKind
    description: str
    evidence_text: str
    evidence: list[EvidencePublic]
    status: CaseStatus
    submitted_at: datetime
    outcome: Resolution | Literal[""]
    answer: str
    new_version: int | None
    answered_by: str | None
    answered_at: datetime | None
    dataset_suspended: bool
