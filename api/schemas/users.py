"""Request and response schemas of accounts and their eligibility facts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import FromDomain, Strict
from api.types import Id
from sandbox.identity.model import EligibilityFact, Role


class EligibilityPublic(FromDomain):
    """The current value of an eligibility fact (from ``EligibilityRecord``)."""

    fact: EligibilityFact
    value: str
    note: str
    set_by: str
    set_at: datetime


class UserCreate(Strict):
    """Body of ``POST /v1/users``."""

    username: str = Field(min_length=2, max_length=63)
    role: Role
    display_name: str = Field(default="", max_length=200)
    organisation_id: Id | None = None
    with_token: bool = True
    """Issue a first API token and return its secret once."""
    password: str | None = Field(default=None, max_length=256)
    """An initial sign-in password (the password policy applies); none: token only."""


class UserPublic(FromDomain):
    """An account (from :class:`sandbox.identity.model.User`)."""

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    organisation_name: str | None
    active: bool
    created_at: datetime
    eligibility: list[EligibilityPublic]
    email: str
    stated_organisation: str
    """The organisation a self-registered visitor named (unverified)."""
    self_registered: bool
    has_password: bool
    """Whether the account can sign in to the console with a password."""


class UserCreated(BaseModel):
    """A new account, with its first token's secret when one was asked for."""

    user: UserPublic
    token: str | None


class EligibilitySet(Strict):
    """Body of ``POST /v1/users/{id}/eligibility``."""

    fact: EligibilityFact
    value: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=2000)


class OwnPasswordChange(Strict):
    """Body of ``PUT /v1/users/me/password``."""

    current_password: str | None = Field(default=None, max_length=256)
    """Required once the account has a password."""
    new_password: str = Field(min_length=1, max_length=256)


class PasswordSet(Strict):
    """Body of ``PUT /v1/users/{id}/password`` (admin)."""

    new_password: str = Field(min_length=1, max_length=256)


class PasswordChanged(BaseModel):
    """A password was set; every sign-in session of the account has ended."""

    sessions_ended: int
    csrf_token: str | None
    """When the change was made from a signed-in browser: its new session's CSRF token (the
    old session ended with the others, a new one was set in the cookie)."""
