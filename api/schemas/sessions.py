"""Request and response schemas of sign-in sessions and self-registration."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from api.schemas.users import UserPublic
from sandbox.identity.model import Role


class SignIn(Strict):
    """Body of ``POST /v1/sessions``."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=256)


class CurrentSession(BaseModel):
    """Who the caller is (``GET /v1/sessions/current``, and the answer of a sign-in)."""

    user: UserPublic
    display_name: str
    roles: list[Role]
    """The account's roles (one today)."""
    authenticated_by: Literal["session", "token"]
    csrf_token: str | None
    """The token every unsafe request of this session carries (``X-CSRF-Token`` or form
    field ``csrf_token``); ``None`` for a bearer token, which needs none."""
    expires_at: datetime | None
    """The session's absolute end."""
    idle_expires_at: datetime | None
    """When the session ends unless used again before."""
    may_apply: bool
    """Whether the account may apply for conditional data now."""
    eligibility_missing: list[str]
    """The conditions not yet met for applying (empty when it may apply)."""


class Register(Strict):
    """Body of ``POST /v1/accounts``: a visitor opens a user account."""

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    organisation: str = Field(default="", max_length=200)


class Registered(BaseModel):
    """The answer to a registration: the same whether the login was free or taken."""

    username: str
    message: str
