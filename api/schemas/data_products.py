"""Request and response schemas of published data products."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from api.schemas.applications import TEXT_CHARS
from api.schemas.common import FromDomain, Strict
from api.schemas.demands import NAME_CHARS
from api.types import Id, Version
from sandbox.catalog.model import OpenAttribute
from sandbox.oversight.model import DataProduct


class ProductSourceIn(Strict):
    """A source dataset; ``version`` defaults to the newest."""

    dataset: str = Field(min_length=1, max_length=NAME_CHARS)
    version: Version | None = None


class ProductCreate(Strict):
    """Body of ``POST /v1/data-products``."""

    title: str = Field(max_length=300)
    description: str = Field(default="", max_length=TEXT_CHARS)
    sources: list[ProductSourceIn] = Field(default_factory=list, max_length=20)
    grant_id: Id | None = None
    payload: Any = None
    """The product's content as JSON (at most 64 KiB encoded)."""
    job_id: Id | None = None
    """A released result of yours to publish: its datasets, versions, grant and result
    become the product's sources, grant and payload."""


class ProductSourcePublic(FromDomain):
    """A source dataset with the version used and that version's date."""

    dataset: str
    version: int
    version_created_at: datetime
    open_attribute: OpenAttribute


class ProductPublic(FromDomain):
    """A published data product; lists leave the payload out (``null``): build it with
    :func:`product_public`.
    """

    id: int
    publisher: str
    title: str
    description: str
    sources: list[ProductSourcePublic]
    grant_ref: str | None
    payload_sha256: str
    published_at: datetime
    payload: Any = None
    job_id: int | None = None

    @field_validator("payload", mode="before")
    @classmethod
    def _payload_only_when_asked(cls, payload: Any, info: ValidationInfo) -> Any:
        """Keep the payload only where the validation context asks for it (one product, not
        the list).
        """
        return payload if info.context and info.context.get("with_payload") is True else None


def product_public(product: DataProduct, *, with_payload: bool) -> ProductPublic:
    """A data product as readers see it, with its payload where ``with_payload``."""
    return ProductPublic.model_validate(product, context={"with_payload": with_payload})


class ProductListing(FromDomain):
    """A published product as the public list shows it, without a token: its title, who
    published it, its source datasets with their versions and dates, and when it was
    published (Qingdao art. 20; Xi'an art. 29). Never a payload, nor the grant it was
    made under.
    """

    id: int
    publisher: str
    title: str
    description: str
    sources: list[ProductSourcePublic]
    payload_sha256: str
    """The fingerprint of the content an account reads at ``GET /v1/data-products/{id}``."""
    published_at: datetime
