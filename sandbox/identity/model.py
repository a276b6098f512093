"""Identity value types: roles, the acting principal, users, organisations, tokens."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.StrEnum):
    """The one role an account holds (REQUIREMENTS.md, Roles)."""

    USER = "user"
    PROVIDER = "provider"
    REVIEWER = "reviewer"
    AUTHORITY = "authority"
    AUDITOR = "auditor"
    ADMIN = "admin"


class OrganisationKind(enum.StrEnum):
    """What kind of body an organisation is."""

    PROVIDER = "provider"
    USER = "user"
    AUTHORITY = "authority"
    OTHER = "other"


class EligibilityFact(enum.StrEnum):
    """Facts that decide whether a user may apply for conditional data (Qingdao art. 16)."""

    REAL_NAME_VERIFIED = "real_name_verified"
    CREDIT_STANDING = "credit_standing"


ELIGIBILITY_VALUES: dict[EligibilityFact, frozenset[str]] = {
    EligibilityFact.REAL_NAME_VERIFIED: frozenset({"yes", "no"}),
    EligibilityFact.CREDIT_STANDING: frozenset({"good", "dishonest_debtor", "serious_violation"}),
}
"""The values each eligibility fact may take."""


@dataclass(frozen=True)
class Actor:
    """Who is making a request: resolved from a bearer token, or a local operator."""

    user_id: int | None
    """The account's id; ``None`` only for the local ``system`` operator of the CLI."""
    username: str
    """Login name, copied into every audit entry."""
    role: Role
    """The account's role."""
    organisation_id: int | None = None
    """The account's organisation, which owns datasets for providers."""

    @classmethod
    def system(cls) -> Actor:
        """The local operator running ``sandbox admin`` commands on the server host."""
        return cls(user_id=None, username="system", role=Role.ADMIN)


@dataclass(frozen=True)
class Organisation:
    """An organisation as the domain sees it."""

    id: int
    name: str
    kind: OrganisationKind
    created_at: datetime


@dataclass(frozen=True)
class EligibilityRecord:
    """The current value of one eligibility fact and who set it when."""

    fact: EligibilityFact
    value: str
    note: str
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class User:
    """An account as the domain sees it."""

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    organisation_name: str | None
    active: bool
    created_at: datetime
    eligibility: tuple[EligibilityRecord, ...] = field(default_factory=tuple)
    email: str = ""
    stated_organisation: str = ""
    """The organisation a self-registered visitor named (unverified text)."""
    self_registered: bool = False
    has_password: bool = False
    """Whether the account can sign in to the console (it may use tokens either way)."""


@dataclass(frozen=True)
class TokenInfo:
    """A token's metadata; the secret itself is shown once, at creation."""

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """A newly created token: the only moment the secret exists in clear."""

    secret: str
    info: TokenInfo
