"""Request and response schemas of organisations."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import FromDomain, Strict
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
