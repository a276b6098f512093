"""Request and response schemas of open-attribute changes and their decisions."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Choice, FromDomain, Strict
from api.types import Id
from sandbox.catalog.model import ChangeStatus, OpenAttribute


class AttributeChangeCreate(Strict):
    """Body of ``POST /v1/datasets/{name}/attribute-changes``."""

    to_attribute: Choice[OpenAttribute]
    legal_basis: str = ""
    desensitisation_id: Id | None = None
    consent_reference: str = ""
    reason: str = ""


class AttributeDecision(Strict):
    """Body of ``POST /v1/attribute-changes/{id}/decision``."""

    approve: bool
    note: str = Field(default="", max_length=5000)


class AttributeChangePublic(FromDomain):
    """An attribute-change request and its decision."""

    id: int
    dataset: str
    from_attribute: OpenAttribute
    to_attribute: OpenAttribute
    legal_basis: str
    desensitisation_id: int | None
    consent_reference: str
    reason: str
    status: ChangeStatus
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
