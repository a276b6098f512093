"""Request and response schemas of API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import FromDomain, Strict
from api.types import Id


class TokenCreate(Strict):
    """Body of ``POST /v1/tokens``."""

    name: str = Field(default="default", max_length=100)
    days: int = 90
    user_id: Id | None = None
    """Whose token; defaults to the caller (only an admin may name another account)."""


class TokenPublic(FromDomain):
    """A token's metadata, never its secret (from :class:`sandbox.identity.model.TokenInfo`)."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    """A new token: the secret is shown here and never again."""

    token: str
    info: TokenPublic
