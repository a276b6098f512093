"""Request and response schemas of dataset suspensions and the leak trace, and the
reprocessing both a suspension's resolution and a complaint's answer may store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Choice, FromDomain, Strict
from api.types import Id
from sandbox.catalog.model import SourceFormat
from sandbox.oversight.model import Resolution
from sandbox.oversight.suspensions import Reprocessing


class ReprocessIn(Strict):
    """The desensitised data of a reprocessing: a staged upload (``POST /v1/uploads``) and
    the desensitisation record that describes it.
    """

    upload_id: str | None = Field(default=None, min_length=1, max_length=64)
    format: Choice[SourceFormat] | None = None
    method: str = Field(default="", max_length=200)
    """The desensitisation method (masking, generalisation, ...): required to reprocess."""
    description: str = Field(default="", max_length=TEXT_CHARS)

    def reprocessing(self) -> Reprocessing | None:
        """The domain value, or ``None`` when no data was named."""
        if self.upload_id is None:
            return None
        return Reprocessing(
            upload_id=self.upload_id,
            method=self.method,
            description=self.description,
            format=self.format,
        )


class SuspensionCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/suspend``: the reason, shown to everyone."""

    reason: str = Field(max_length=TEXT_CHARS)
    complaint_id: Id | None = None


class SuspensionResolve(ReprocessIn):
    """Body of ``POST /v1/datasets/{name}/suspension/resolve``: ``restore``, ``reprocess``
    (with ``upload_id`` and ``method``) or ``end`` (the dataset is withdrawn for good).
    """

    outcome: Literal["restore", "reprocess", "end"]
    note: str = Field(default="", max_length=TEXT_CHARS)


class SuspensionPublic(FromDomain):
    """A suspension of a dataset, in force or resolved (``resolution`` is empty until
    then).
    """

    id: int
    dataset: str
    complaint_id: int | None
    reason: str
    suspended_by: str
    suspended_at: datetime
    in_force: bool
    withdrawn: bool
    resolution: Resolution | Literal[""]
    resolved_by: str | None
    resolved_at: datetime | None
    note: str
    new_version: int | None


class TraceItemPublic(FromDomain):
    """One touch of the dataset, from the audit trail (and the ledger, for a charge)."""

    seq: int
    at: str
    kind: str
    action: str
    actor: str
    role: str
    outcome: str
    version: int | None
    detail: dict[str, Any]
    charge: dict[str, Any] | None


class TracePublic(FromDomain):
    """Everything that touched a dataset (version), in audit order."""

    dataset: str
    version: int | None
    count: int = Field(validation_alias="items")
    truncated: bool
    data: list[TraceItemPublic] = Field(validation_alias="items")
    grants: list[dict[str, Any]]
    data_products: list[dict[str, Any]]

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, items: tuple[Any, ...]) -> int:
        return len(items)
