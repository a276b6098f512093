"""Who sees a catalog entry before the authority passed it (Qingdao art. 10, 12;
Lianyungang art. 11-12: the opening catalog is published once the authority reviewed it).

A new dataset, or a new version, is *submitted* until the authority passes it. Until then
it is not in the public catalog: only the provider that owns it and the supervising roles
see it, with the review's state and, once returned, the reason. A new version of a
published dataset waits the same way while the previous passed version stays current
(:func:`sandbox.catalog.queries.version_row` returns passed versions only). The review
workflow itself, with its deadline, is :mod:`sandbox.datasets.publication_review`.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.catalog.model import CatalogEntry, ReviewStatus
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns
from sandbox.errors import NotFound
from sandbox.identity.model import Actor
from sandbox.store.models import DatasetRow, DatasetVersionRow


def sees_unpublished(actor: Actor, provider_org_id: int) -> bool:
    """Whether ``actor`` sees versions the authority has not passed: the owning provider
    (it submitted them) and oversight (the authority reviews them).
    """
    return owns(actor, provider_org_id) or actor.role in OVERSIGHT_ROLES


def is_published(session: Session, row: DatasetRow) -> bool:
    """Whether some version of ``row`` was passed (the entry is in the public catalog)."""
    return (
        session.execute(
            select(DatasetVersionRow.id)
            .where(
                DatasetVersionRow.dataset_id == row.id,
                DatasetVersionRow.review_status == str(ReviewStatus.PASSED),
            )
            .limit(1)
        ).first()
        is not None
    )


def visible_entry(actor: Actor, entry: CatalogEntry) -> CatalogEntry | None:
    """``entry`` as ``actor`` may see it: whole for its provider and oversight; for anyone
    else only once published, and then with its passed versions only (None: invisible).
    """
    if sees_unpublished(actor, entry.provider_org_id):
        return entry
    if not entry.published:
        return None
    return replace(entry, versions=tuple(v for v in entry.versions if v.published))


def require_visible(actor: Actor, entry: CatalogEntry) -> CatalogEntry:
    """``entry`` as ``actor`` sees it, or :class:`NotFound` as if it did not exist (an
    entry under review is not announced to the public).
    """
    shown = visible_entry(actor, entry)
    if shown is None:
        raise NotFound(f"dataset {entry.name!r} does not exist")
    return shown


def require_published(session: Session, row: DatasetRow, doing: str) -> None:
    """Refuse to use a dataset nobody may use yet: its data waits for the authority's
    review (applications and jobs only ever concern published datasets).
    """
    if not is_published(session, row):
        raise NotFound(
            f"dataset {row.name!r} does not exist or is not published yet: cannot {doing}"
        )
