"""Data access under the open attributes, enforced here on the server.

- unconditional: download (Parquet or CSV, streamed) and page-by-page queries;
- conditional: metadata, schema, quality report and a synthetic preview; never the rows,
  for anyone, through any function of this module;
- closed: the catalog entry and its legal basis only.

A dataset its provider suspended or withdrew (:mod:`sandbox.catalog.suspension`) is
neither downloaded, queried nor previewed, whatever its attribute.

Every granted read is audited before the first byte leaves; refusals are audited by the
caller's error handling, since their transaction rolls back.

Every read of a version's file checks it first and refuses a damaged one before sending
anything (:mod:`sandbox.datasets.integrity`): the register of damage, then the cheap check
(size, footer, row count); a download and a quality report, which vouch for the whole file,
hash it in full up to ``full_check_max_bytes``; pages are verified by their checksums as
they are read. The synthetic preview of conditional data reads no file and checks none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.catalog.model import CatalogEntry, OpenAttribute
from sandbox.catalog.permissions import sees_details
from sandbox.catalog.preview import synthetic_preview
from sandbox.catalog.publication import is_published, require_visible, sees_unpublished
from sandbox.catalog.queries import dataset_row as _dataset_row
from sandbox.catalog.queries import entry_of, metadata_of, version_row
from sandbox.catalog.suspension import refuse_if_suspended
from sandbox.catalog.synthetic import current_sample
from sandbox.datasets.integrity import Read, ServedVersion, ensure_intact, guarded, reading, served
from sandbox.datasets.open_query import OpenQuery, decode_cursor, encode_cursor
from sandbox.errors import AccessRefused, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.platform import Platform
from sandbox.storage.export import (
    is_encrypted,
    iter_csv_bytes,
    iter_decrypted_parquet_bytes,
    iter_parquet_bytes,
    read_page,
)
from sandbox.storage.scan import scan_page, stored_schema
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow

MAX_PAGE_ROWS = 10_000
MAX_SORTED_ROWS = 2_000_000
"""Matching rows a sorted query may hold in memory to sort (narrow it, or page unsorted)."""
DOWNLOAD_FORMATS = ("parquet", "csv")


@dataclass(frozen=True)
class DownloadPlan:
    """What to stream for an allowed download."""

    dataset: str
    version: int
    format: str
    path: str
    filename: str
    byte_size: int
    """Size of the stored Parquet file (the CSV rendering has no size known up front)."""
    sha256: str
    """The SHA-256 recorded of the stored Parquet file, for the client to check."""
    served: ServedVersion
    reencoded: bool = False
    """The stored file is encrypted, so a Parquet download is a plain re-encoding of it,
    whose size and hash are not the stored file's."""


def _refuse_rows(name: str, attribute: OpenAttribute, doing: str) -> AccessRefused:
    if attribute is OpenAttribute.CONDITIONAL:
        return AccessRefused(
            f"dataset {name!r} is conditional: its rows can never be {doing}, by anyone; "
            "conditional data is used through algorithm models under a grant (Xi'an art. 22)"
        )
    return AccessRefused(
        f"dataset {name!r} is not open: only its catalog entry and legal basis are shown"
    )


def _visible_row(session: Session, actor: Actor, name: str) -> DatasetRow:
    """The row of dataset ``name`` if ``actor`` may see it: a dataset the authority has not
    published is unknown to all but its provider and oversight (Qingdao art. 10).
    """
    row = _dataset_row(session, name)
    if not sees_unpublished(actor, row.provider_org_id) and not is_published(session, row):
        raise NotFound(f"dataset {name!r} does not exist")
    return row


def view_entry(platform: Platform, actor: Actor, name: str) -> CatalogEntry:
    """A catalog entry, with the read audited."""
    with transaction(platform.sessions) as session:
        entry = require_visible(actor, entry_of(session, _dataset_row(session, name)))
        audit.record_at_commit(
            session, actor, "dataset.read", object_type="dataset", object_id=name
        )
    return entry


def plan_download(
    platform: Platform, actor: Actor, name: str, version: int | None, fmt: str
) -> DownloadPlan:
    """Authorise a download: unconditional data only."""
    if fmt not in DOWNLOAD_FORMATS:
        raise InvalidRequest(f"download format {fmt!r} is not one of {list(DOWNLOAD_FORMATS)}")
    with transaction(platform.sessions) as session:
        row = _visible_row(session, actor, name)
        attribute = OpenAttribute(row.open_attribute)
        if attribute is not OpenAttribute.UNCONDITIONAL:
            raise _refuse_rows(name, attribute, "downloaded")
        refuse_if_suspended(session, name)
        stored = version_row(session, row, version)
        audit.record(
            session,
            actor,
            "dataset.download",
            object_type="dataset",
            object_id=name,
            detail={"version": stored.version, "format": fmt},
        )
        target = served(session, name, stored)
    ensure_intact(platform, actor, target, Read.DOWNLOAD, whole_file=True)
    return DownloadPlan(
        name,
        stored.version,
        fmt,
        stored.storage_path,
        f"{name}-v{stored.version}.{fmt}",
        stored.byte_size,
        stored.sha256,
        target,
        reencoded=fmt == "parquet" and is_encrypted(platform.store, stored.storage_path),
    )


def download_body(platform: Platform, actor: Actor, plan: DownloadPlan) -> Iterator[bytes]:
    """The bytes of an allowed download. The Parquet file is hashed as it streams and its
    last chunk withheld unless the hash matches; damage met after the first byte is put on
    record before the transfer is cut.
    """
    if plan.format == "csv":
        body = iter_csv_bytes(platform.store, plan.path)
    elif plan.reencoded:
        body = iter_decrypted_parquet_bytes(platform.store, plan.path)
    else:
        body = iter_parquet_bytes(platform.store, plan.served.recorded)
    return guarded(platform, actor, plan.served, Read.DOWNLOAD, body)


@dataclass(frozen=True)
class RowsPage:
    """A page of an open-data query: which version, how many rows it has and matched, the
    page, and the cursor of the next page (``None`` after the last).
    """

    version: int
    total_rows: int
    matched_rows: int
    offset: int
    table: pa.Table
    next_cursor: str | None


def query_rows(
    platform: Platform,
    actor: Actor,
    name: str,
    version: int | None,
    offset: int,
    limit: int,
    query: OpenQuery | None = None,
    cursor: str | None = None,
) -> RowsPage:
    """A page of unconditional data's rows matching ``query`` (Wuxi art. 14; Qingdao art. 13,
    15). A ``cursor`` (from the previous page) stands for the version and offset it pins.
    """
    query = query or OpenQuery()
    if cursor is not None:
        if offset or version is not None:
            raise InvalidRequest("a cursor carries its own version and offset: give it alone")
        version, offset = decode_cursor(cursor, query)
    if offset < 0:
        raise InvalidRequest("offset must not be negative")
    if not 1 <= limit <= MAX_PAGE_ROWS:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE_ROWS}")
    with transaction(platform.sessions) as session:
        row = _visible_row(session, actor, name)
        attribute = OpenAttribute(row.open_attribute)
        if attribute is not OpenAttribute.UNCONDITIONAL:
            raise _refuse_rows(name, attribute, "queried")
        refuse_if_suspended(session, name)
        stored = version_row(session, row, version)
        audit.record(
            session,
            actor,
            "dataset.query",
            object_type="dataset",
            object_id=name,
            detail={
                "version": stored.version,
                "offset": offset,
                "limit": limit,
                **query.described(),
            },
        )
        path, total, number = stored.storage_path, stored.row_count, stored.version
        target = served(session, name, stored)
    ensure_intact(platform, actor, target, Read.ROWS)
    with reading(platform, actor, target, Read.ROWS):
        schema = stored_schema(platform.store, path)
        returned = list(query.columns) if query.columns is not None else schema.names
        needed = query.needed_columns(schema)
        where = query.expression(schema)
        if query.is_plain:
            page, matched = read_page(platform.store, path, offset, limit).select(returned), total
        else:
            order = [(k.column, "descending" if k.descending else "ascending") for k in query.sort]
            scanned = scan_page(
                platform.store,
                path,
                columns=needed,
                returned=returned,
                where=where,
                sort=order,
                offset=offset,
                limit=limit,
                max_sorted=MAX_SORTED_ROWS,
            )
            page, matched = scanned.table, scanned.matched
    following = offset + page.num_rows
    more = following < matched
    next_cursor = encode_cursor(number, following, query) if more else None
    return RowsPage(number, total, matched, offset, page, next_cursor)


def preview(platform: Platform, actor: Actor, name: str, rows: int) -> tuple[bool, pa.Table]:
    """(synthetic?, table): real first rows of open data, synthetic rows for conditional."""
    synthetic, table, _ = preview_of(platform, actor, name, rows)
    return synthetic, table


def preview_of(
    platform: Platform, actor: Actor, name: str, rows: int
) -> tuple[bool, pa.Table, dict[str, Any] | None]:
    """(synthetic?, table, sample): as :func:`preview`, and for a conditional dataset whose
    provider chose a DP synthetic sample (:mod:`sandbox.catalog.synthetic`), its first rows
    and what it is (its epsilon); ``None`` for the uniform mock or real rows.
    """
    if not 1 <= rows <= 100:
        raise InvalidRequest("a preview has between 1 and 100 rows")
    with transaction(platform.sessions) as session:
        row = _visible_row(session, actor, name)
        attribute = OpenAttribute(row.open_attribute)
        if attribute is OpenAttribute.CLOSED:
            raise _refuse_rows(name, attribute, "previewed")
        refuse_if_suspended(session, name)
        if attribute is OpenAttribute.CONDITIONAL:
            sample = current_sample(session, row)
            detail: dict[str, Any] = {"synthetic": True, "rows": rows}
            if sample is not None:
                detail["dp_sample"] = sample.id
            audit.record(
                session,
                actor,
                "dataset.preview",
                object_type="dataset",
                object_id=name,
                detail=detail,
            )
            if sample is None:
                table = synthetic_preview(metadata_of(row).dictionary, rows=rows, seed_text=name)
                return True, table, None
            # A DP synthetic sample: a release already charged, read from the data store.
            return True, read_page(platform.store, sample.path, 0, rows), sample.describe()
        stored = version_row(session, row, None)
        audit.record(
            session,
            actor,
            "dataset.preview",
            object_type="dataset",
            object_id=name,
            detail={"synthetic": False, "rows": rows, "version": stored.version},
        )
        path = stored.storage_path
        target = served(session, name, stored)
    ensure_intact(platform, actor, target, Read.PREVIEW)
    with reading(platform, actor, target, Read.PREVIEW):
        page = read_page(platform.store, path, 0, rows)
    return False, page, None


def quality_report(
    platform: Platform, actor: Actor, name: str, version: int | None
) -> tuple[int, dict[str, Any]]:
    """(version, report) for open data, or for not-open data to its owner and supervisors."""
    with transaction(platform.sessions) as session:
        row = _visible_row(session, actor, name)
        entry = entry_of(session, row)
        if not sees_details(actor, entry):
            raise _refuse_rows(name, OpenAttribute.CLOSED, "profiled")
        # the provider and the authority read a submitted version's report to review it
        stored = version_row(
            session, row, version, unpublished=sees_unpublished(actor, row.provider_org_id)
        )
        audit.record_at_commit(
            session,
            actor,
            "dataset.quality.read",
            object_type="dataset",
            object_id=name,
            detail={"version": stored.version},
        )
        target = served(session, name, stored)
    # the report describes the file: it is not shown for a file that is no longer that one
    ensure_intact(platform, actor, target, Read.QUALITY, whole_file=True)
    return stored.version, stored.quality
