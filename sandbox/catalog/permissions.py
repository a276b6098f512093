"""Who may do what to a dataset: ownership by the provider's organisation, plus roles."""

from __future__ import annotations

from sandbox.catalog.model import CatalogEntry, OpenAttribute
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role

OVERSIGHT_ROLES = frozenset({Role.AUTHORITY, Role.AUDITOR, Role.ADMIN})
"""Roles that supervise every dataset's metadata (never its raw rows)."""


def owns(actor: Actor, provider_org_id: int) -> bool:
    """Whether ``actor`` is a provider of the organisation that owns the dataset."""
    return actor.role is Role.PROVIDER and actor.organisation_id == provider_org_id


def require_owner(actor: Actor, provider_org_id: int, doing: str) -> None:
    """Refuse unless ``actor`` is a provider of the owning organisation."""
    if not owns(actor, provider_org_id):
        raise PermissionDenied(f"only a provider of the dataset's organisation may {doing}")


def require_provider(actor: Actor, doing: str) -> None:
    """Refuse unless ``actor`` is a provider with an organisation."""
    if actor.role is not Role.PROVIDER or actor.organisation_id is None:
        raise PermissionDenied(f"only a provider with an organisation may {doing}")


def sees_details(actor: Actor, entry: CatalogEntry) -> bool:
    """Whether ``actor`` sees the dictionary, versions and quality of ``entry``.

    Everyone does for open data; for not-open data only the owner and the supervising roles
    do (everyone else sees the catalog entry and its legal basis only).
    """
    if entry.metadata.open_attribute is not OpenAttribute.CLOSED:
        return True
    return owns(actor, entry.provider_org_id) or actor.role in OVERSIGHT_ROLES
