"""Who may do what to a dataset: ownership by the provider's organisation, plus roles."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from sandbox.catalog.model import CatalogEntry, OpenAttribute
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role

_Row = TypeVar("_Row", bound=Any)

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


def restrict_to_visible(
    stmt: Select[_Row],
    actor: Actor,
    *,
    org_column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    filer_column: InstrumentedAttribute[int],
    provider_sees_own_filings: bool,
) -> Select[_Row]:
    """Narrow a query of cases (applications, requests, complaints, objections) to those
    ``actor`` may see.

    Oversight sees every case; a provider with an organisation sees the cases addressed to
    it (and, where ``provider_sees_own_filings``, those it filed itself); anyone else sees
    only the cases they filed.
    """
    if actor.role in OVERSIGHT_ROLES:
        return stmt
    if actor.role is Role.PROVIDER and actor.organisation_id is not None:
        addressed = org_column == actor.organisation_id
        if provider_sees_own_filings:
            return stmt.where(addressed | (filer_column == actor.user_id))
        return stmt.where(addressed)
    return stmt.where(filer_column == actor.user_id)
