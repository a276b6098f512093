"""Request and response schemas of organisations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import FromDomain, Strict
from sandbox.access.agreement import MAX_AGREEMENT_CHARS
from sandbox.identity.model import OrganisationKind


class OrganisationCreate(Strict):
    """Body of ``POST /v1/organisations``."""

    name: str = Field(min_length=1, max_length=200)
    kind: OrganisationKind


class OrganisationPublic(FromDomain):
    """An organisation (from :class:`sandbox.identity.model.Organisation`)."""

    id: int
    name: str
    kind: OrganisationKind
    created_at: datetime


class ProviderAgreementSet(Strict):
    """Body of ``PUT /v1/organisations/{id}/agreement``: the provider's own terms."""

    version: str = Field(min_length=1, max_length=20)
    text: str = Field(min_length=1, max_length=MAX_AGREEMENT_CHARS)


class ProviderAgreementPublic(BaseModel):
    """A provider organisation's own agreement (``text`` empty: it has none)."""

    organisation_id: int
    version: str | None
    sha256: str | None
    text: str
