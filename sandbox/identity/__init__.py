"""Identity and access: accounts, organisations, roles, eligibility facts and API tokens."""

from sandbox.identity.model import (
    Actor,
    EligibilityFact,
    IssuedToken,
    Organisation,
    OrganisationKind,
    Role,
    TokenInfo,
    User,
)

__all__ = [
    "Actor",
    "EligibilityFact",
    "IssuedToken",
    "Organisation",
    "OrganisationKind",
    "Role",
    "TokenInfo",
    "User",
]
