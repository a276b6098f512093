"""Read side of the catalog: rows to domain objects, lookups by name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import (
    CatalogEntry,
    DatasetMetadata,
    Desensitisation,
    OpenAttribute,
    ReviewStatus,
    SourceFormat,
    UpdateFrequency,
    VersionInfo,
)
from sandbox.catalog.rules import is_stale
from sandbox.clock import utc_now
from sandbox.errors import NotFound
from sandbox.store.models import (
    DatasetRow,
    DatasetVersionRow,
    DesensitisationRow,
    OrganisationRow,
    UserRow,
)


def dataset_row(session: Session, name: str) -> DatasetRow:
    """The row of dataset ``name``, or :class:`NotFound`."""
    row = session.execute(select(DatasetRow).where(DatasetRow.name == name)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"dataset {name!r} does not exist")
    return row


def version_row(
    session: Session,
    dataset: DatasetRow,
    version: int | None,
    *,
    unpublished: bool = False,
) -> DatasetVersionRow:
    """A published version of ``dataset`` (the newest when ``version`` is None), or
    :class:`NotFound`.

    Only a version the authority passed is visible and usable (Qingdao art. 10, 12;
    Lianyungang art. 11-12): jobs, previews, downloads and queries all come here, so a
    submitted or returned version is never read by them. ``unpublished`` admits those too,
    for the provider and the authority reviewing them.
    """
    stmt = select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset.id)
    if not unpublished:
        stmt = stmt.where(DatasetVersionRow.review_status == str(ReviewStatus.PASSED))
    if version is None:
        stmt = stmt.order_by(DatasetVersionRow.version.desc()).limit(1)
    else:
        stmt = stmt.where(DatasetVersionRow.version == version)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        published = "" if unpublished else "published "
        which = f"{published}data" if version is None else f"{published}version {version}"
        raise NotFound(f"dataset {dataset.name!r} has no {which}")
    return row


def metadata_of(row: DatasetRow) -> DatasetMetadata:
    """The declared metadata of a dataset row."""
    return DatasetMetadata(
        name=row.name,
        title=row.title,
        description=row.description,
        open_attribute=OpenAttribute(row.open_attribute),
        open_conditions=row.open_conditions,
        data_format=row.data_format,
        data_type=row.data_type,
        update_frequency=UpdateFrequency(row.update_frequency),
        contact=row.contact,
        legal_basis=row.legal_basis,
        privacy_unit=row.privacy_unit,
        dictionary=DataDictionary.from_list(row.dictionary),
    )


def entry_of(session: Session, row: DatasetRow, now: datetime | None = None) -> CatalogEntry:
    """The full catalog entry of a dataset row."""
    usernames: dict[int, str] = {
        row.id: row.username for row in session.execute(select(UserRow.id, UserRow.username))
    }
    versions = tuple(
        VersionInfo(
            version=v.version,
            source_format=SourceFormat(v.source_format),
            row_count=v.row_count,
            byte_size=v.byte_size,
            sha256=v.sha256,
            created_at=v.created_at,
            created_by=usernames.get(v.created_by, "?"),
            note=v.note,
            quality=v.quality,
            review_status=ReviewStatus(v.review_status),
            review_note=v.review_note,
            reviewed_at=v.reviewed_at,
        )
        for v in session.execute(
            select(DatasetVersionRow)
            .where(DatasetVersionRow.dataset_id == row.id)
            .order_by(DatasetVersionRow.version)
        ).scalars()
    )
    desensitisations = tuple(
        Desensitisation(
            id=d.id,
            method=d.method,
            description=d.description,
            version=d.version,
            recorded_by=usernames.get(d.recorded_by, "?"),
            recorded_at=d.recorded_at,
        )
        for d in session.execute(
            select(DesensitisationRow)
            .where(DesensitisationRow.dataset_id == row.id)
            .order_by(DesensitisationRow.id)
        ).scalars()
    )
    org = session.get(OrganisationRow, row.provider_org_id)
    metadata = metadata_of(row)
    published = [v for v in versions if v.published]
    last = published[-1].created_at if published else None
    return CatalogEntry(
        id=row.id,
        metadata=metadata,
        provider_org_id=row.provider_org_id,
        provider_org=org.name if org else "?",
        created_at=row.created_at,
        updated_at=row.updated_at,
        versions=versions,
        desensitisations=desensitisations,
        stale=is_stale(metadata.update_frequency, last, now or utc_now()),
        grade=row.grade,
        proposed_grade=row.proposed_grade,
    )


def get_entry(session: Session, name: str) -> CatalogEntry:
    """The catalog entry of dataset ``name``."""
    return entry_of(session, dataset_row(session, name))


def list_entries(session: Session) -> list[CatalogEntry]:
    """Every catalog entry, by name."""
    rows = session.execute(select(DatasetRow).order_by(DatasetRow.name)).scalars().all()
    now = utc_now()
    return [entry_of(session, r, now) for r in rows]
