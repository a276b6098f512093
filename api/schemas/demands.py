"""Request and response schemas of requests for data not yet open."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import Strict
from api.schemas.stages import WithStages
from api.types import Id
from sandbox.access.model import DemandStatus

NAME_CHARS = 100
"""Longest dataset name a body names."""


class DemandCreate(Strict):
    """Body of ``POST /v1/demands``."""

    description: str = Field(default="", max_length=TEXT_CHARS)
    dataset: str = Field(default="", max_length=NAME_CHARS)
    """A dataset name: a catalog entry that is not open, or the name you would give it."""
    provider_org_id: Id | None = None


class DemandFormReview(Strict):
    """Body of a request's form review; passing names the provider organisation (unless
    the request already does).
    """

    outcome: Literal["pass", "return"]
    reason: str = Field(default="", max_length=TEXT_CHARS)
    provider_org_id: Id | None = None


class DemandAnswer(Strict):
    """Body of the provider's answer: agree, or refuse with the reason."""

    outcome: Literal["agree", "refuse"]
    reason: str = Field(default="", max_length=TEXT_CHARS)
    legal_basis: str = Field(default="", max_length=TEXT_CHARS)


class DemandOpened(Strict):
    """Body of ``POST /v1/demands/{id}/opened``: the catalog dataset that now holds the
    data.
    """

    dataset: str = Field(min_length=1, max_length=NAME_CHARS)


class DemandPublic(WithStages):
    """A request for data not yet open, with its stages and deadlines."""

    id: int
    requester: str
    description: str
    dataset: str = Field(validation_alias="dataset_name")
    provider_org_id: int | None
    provider_org: str | None
    status: DemandStatus
    submitted_at: datetime
    return_reason: str
    answer: str
    legal_basis: str
    opened_dataset: str | None
