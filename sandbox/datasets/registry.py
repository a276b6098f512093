"""Registering datasets and their versions.

Every new dataset and every new version is submitted for the authority's review and used
only once passed (:mod:`sandbox.datasets.publication_review`).

Registration runs in three steps so that a slow ingest never holds a database write lock
and a failure anywhere leaves catalog and storage as they were:

1. a short transaction checks the request (names, permissions, the source);
2. the file is ingested to a fresh Parquet path outside any transaction;
3. a short transaction re-checks and inserts the rows with their audit entry; if that
   fails (say a concurrent registration took the name) the new file is deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.grades import Grade
from sandbox.catalog.model import CatalogEntry, DatasetMetadata, OpenAttribute, SourceFormat
from sandbox.catalog.permissions import require_owner, require_provider
from sandbox.catalog.queries import dataset_row, entry_of, metadata_of
from sandbox.catalog.rules import check_registration_attribute
from sandbox.clock import utc_now
from sandbox.datasets.publication_review import submit_for_review
from sandbox.datasets.uploads import expire_uploads, owned_upload
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.storage.ingest import IngestResult, ingest
from sandbox.storage.readers import SourceFile
from sandbox.storage.space import DATA_STORE, storage_full_as
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow, UploadRow

DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


@dataclass(frozen=True)
class DataSource:
    """Where a version's data comes from: a staged upload, or a server-side path or URI."""

    upload_id: str | None = None
    path: str | None = None

    def __post_init__(self) -> None:
        if (self.upload_id is None) == (self.path is None):
            raise InvalidRequest("name exactly one data source: upload_id or path")


def _source_file(
    platform: Platform, session: Session, actor: Actor, source: DataSource
) -> SourceFile:
    if source.upload_id is not None:
        row = owned_upload(
            session, actor, source.upload_id, platform.settings.upload_expiry_seconds
        )
        path = platform.staging.path(source.upload_id)
        if not path.exists():
            raise NotFound(f"upload {source.upload_id!r} has no data; upload it again")
        return SourceFile(pafs.LocalFileSystem(), str(path), f"uploaded file {row.filename!r}")
    assert source.path is not None
    return _import_file(platform, source.path)


def _import_file(platform: Platform, location: str) -> SourceFile:
    """A bulk-load source, allowed only under a configured import root."""
    roots = platform.settings.resolved_import_roots()
    label = f"import source {location!r}"
    if "://" in location:
        if not any(location.startswith(root.rstrip("/") + "/") for root in roots if "://" in root):
            raise PermissionDenied(f"{location!r} is not under an allowed import root")
        try:
            filesystem, path = pafs.FileSystem.from_uri(location)
        except Exception as exc:  # pyarrow raises several types for a bad URI
            raise InvalidRequest(f"cannot open {location!r}: {exc}") from exc
        return SourceFile(filesystem, path, label)
    resolved = Path(location).resolve()
    allowed = [Path(r) for r in roots if "://" not in r]
    if not any(resolved.is_relative_to(root) for root in allowed):
        raise PermissionDenied(f"{location!r} is not under an allowed import root")
    return SourceFile(pafs.LocalFileSystem(), str(resolved), label)


def register_dataset(
    platform: Platform,
    actor: Actor,
    metadata: DatasetMetadata,
    source: DataSource,
    declared_format: SourceFormat | None = None,
    *,
    grade: Grade | None = None,
) -> CatalogEntry:
    """Create a catalog entry with its first version (see the module docstring), submitted
    for the authority's review before it is published (Qingdao art. 10, 12) with the
    provider's proposed ``grade`` (Wuxi art. 12; :mod:`sandbox.catalog.grades`).
    """
    require_provider(actor, "register datasets")
    _check_metadata(metadata)
    _expire_uploads_for(platform, source)
    with transaction(platform.sessions) as session:
        if session.execute(select(DatasetRow.id).where(DatasetRow.name == metadata.name)).first():
            raise Conflict(f"a dataset named {metadata.name!r} already exists")
        source_file = _source_file(platform, session, actor, source)
    dest = _new_version_path(platform, metadata.name, 1)
    result = ingest(
        source_file,
        declared_format,
        metadata.dictionary,
        platform.store,
        dest,
        encrypt=metadata.open_attribute is not OpenAttribute.UNCONDITIONAL,
    )
    try:
        with transaction(platform.sessions) as session:
            if session.execute(
                select(DatasetRow.id).where(DatasetRow.name == metadata.name)
            ).first():
                raise Conflict(f"a dataset named {metadata.name!r} already exists")
            now = utc_now()
            row = DatasetRow(
                name=metadata.name,
                title=metadata.title,
                description=metadata.description,
                provider_org_id=actor.organisation_id,
                open_attribute=str(metadata.open_attribute),
                open_conditions=metadata.open_conditions,
                data_format=metadata.data_format,
                data_type=metadata.data_type,
                update_frequency=str(metadata.update_frequency),
                contact=metadata.contact,
                legal_basis=metadata.legal_basis,
                privacy_unit=metadata.privacy_unit,
                dictionary=metadata.dictionary.to_list(),
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
                proposed_grade=str(grade) if grade is not None else None,
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                actor,
                "dataset.register",
                object_type="dataset",
                object_id=metadata.name,
                detail={
                    "open_attribute": str(metadata.open_attribute),
                    "proposed_grade": str(grade) if grade is not None else None,
                },
            )
            stored = _add_version_row(
                session, actor, row, 1, result, source, note="initial version"
            )
            submit_for_review(session, platform.calendar, actor, row, stored)
            entry = entry_of(session, row)
    except BaseException as exc:
        platform.store.delete(dest)
        if isinstance(exc, IntegrityError):
            raise Conflict(f"a dataset named {metadata.name!r} already exists") from exc
        raise
    _consume_upload(platform, source)
    return entry


def add_version(
    platform: Platform,
    actor: Actor,
    name: str,
    source: DataSource,
    declared_format: SourceFormat | None = None,
    note: str = "",
) -> CatalogEntry:
    """Store new data for an existing dataset as its next version; old versions stay."""
    _expire_uploads_for(platform, source)
    with transaction(platform.sessions) as session:
        row = dataset_row(session, name)
        require_owner(actor, row.provider_org_id, "add versions to this dataset")
        dictionary = metadata_of(row).dictionary
        source_file = _source_file(platform, session, actor, source)
        next_version = _next_version(session, row)
        encrypt = OpenAttribute(row.open_attribute) is not OpenAttribute.UNCONDITIONAL
    dest = _new_version_path(platform, name, next_version)
    result = ingest(source_file, declared_format, dictionary, platform.store, dest, encrypt=encrypt)
    try:
        with transaction(platform.sessions) as session:
            row = dataset_row(session, name)
            version = _next_version(session, row)
            stored = _add_version_row(session, actor, row, version, result, source, note=note)
            submit_for_review(session, platform.calendar, actor, row, stored)
            row.updated_at = utc_now()
            entry = entry_of(session, row)
    except BaseException as exc:
        platform.store.delete(dest)
        if isinstance(exc, IntegrityError):
            raise Conflict(
                f"another version of {name!r} was registered at the same time; try again"
            ) from exc
        raise
    _consume_upload(platform, source)
    return entry


def _next_version(session: Session, row: DatasetRow) -> int:
    current = session.execute(
        select(func.max(DatasetVersionRow.version)).where(DatasetVersionRow.dataset_id == row.id)
    ).scalar_one()
    return int(current or 0) + 1


def _add_version_row(
    session: Session,
    actor: Actor,
    row: DatasetRow,
    version: int,
    result: IngestResult,
    source: DataSource,
    *,
    note: str,
) -> DatasetVersionRow:
    stored = DatasetVersionRow(
        dataset_id=row.id,
        version=version,
        storage_path=result.path,
        source_format=str(result.source_format),
        row_count=result.row_count,
        byte_size=result.byte_size,
        sha256=result.sha256,
        quality=result.quality,
        note=note,
        created_by=actor.user_id,
        created_at=utc_now(),
    )
    session.add(stored)
    if source.upload_id is not None:
        upload = session.get(UploadRow, source.upload_id)
        if upload is not None:
            session.delete(upload)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.version.create",
        object_type="dataset",
        object_id=row.name,
        detail={
            "version": version,
            "rows": result.row_count,
            "sha256": result.sha256,
            "source": "upload" if source.upload_id else "import",
            "quality_passed": result.quality["passed"],
        },
    )
    return stored


def _new_version_path(platform: Platform, name: str, version: int) -> str:
    with storage_full_as(DATA_STORE, "storing the new version"):
        return platform.store.new_version_path(name, version)


def _expire_uploads_for(platform: Platform, source: DataSource) -> None:
    """A registration from an upload is a staging operation: expired uploads go first."""
    if source.upload_id is not None:
        expire_uploads(platform)


def _consume_upload(platform: Platform, source: DataSource) -> None:
    if source.upload_id is not None:
        platform.staging.discard(source.upload_id)


def _check_metadata(metadata: DatasetMetadata) -> None:
    if not DATASET_NAME.match(metadata.name):
        raise InvalidRequest(
            f"dataset name {metadata.name!r} must be 2-63 characters of a-z, 0-9 and '_', "
            "starting with a letter"
        )
    if not metadata.title.strip():
        raise InvalidRequest("a dataset needs a title")
    if not metadata.contact.strip():
        raise InvalidRequest("a dataset needs a contact (Wuxi art. 11)")
    check_registration_attribute(metadata.open_attribute, metadata.legal_basis)
    unit = metadata.privacy_unit
    if unit is not None and unit not in metadata.dictionary.by_name:
        raise InvalidRequest(f"privacy unit {unit!r} is not a column of the data dictionary")
