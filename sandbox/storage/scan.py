"""Filtered and sorted reads of a stored version, one row group at a time.

A plain page (no filter, no sort) is :func:`sandbox.storage.export.read_page`. With a
filter, each row group is read (only the needed columns), filtered, counted, and only the
rows inside the requested window are kept, so memory stays one row group plus one page.
With a sort every matching row's sort keys must be seen first: the matches are kept (up to
``max_sorted`` rows, else the caller is told to narrow the query) and sorted stably, so ties
keep the file's order and a page boundary never moves between two reads of one version.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.errors import InvalidRequest
from sandbox.storage.datastore import DataStore
from sandbox.storage.integrity import open_parquet, unreadable

__all__ = ["ScanPage", "scan_page", "stored_schema"]


class ScanPage:
    """A page of matching rows and how many rows matched in all."""

    def __init__(self, table: pa.Table, matched: int) -> None:
        self.table = table
        self.matched = matched


def stored_schema(store: DataStore, path: str) -> pa.Schema:
    """The Arrow schema of a stored version (its footer only)."""
    try:
        with store.filesystem.open_input_file(path) as handle:
            schema: pa.Schema = open_parquet(handle).schema_arrow
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    return schema


def scan_page(
    store: DataStore,
    path: str,
    *,
    columns: Sequence[str],
    returned: Sequence[str],
    where: pc.Expression | None,
    sort: Sequence[tuple[str, str]],
    offset: int,
    limit: int,
    max_sorted: int,
) -> ScanPage:
    """Rows ``offset`` to ``offset + limit`` of the rows matching ``where`` in ``sort``
    order (file order without one), with only the ``returned`` columns.
    """
    kept: list[pa.Table] = []
    matched = 0
    try:
        with store.filesystem.open_input_file(path) as handle:
            parquet = open_parquet(handle)
            for index in range(parquet.metadata.num_row_groups):
                group = parquet.read_row_group(index, columns=list(columns))
                if where is not None:
                    group = group.filter(where)
                if sort:
                    if matched + group.num_rows > max_sorted:
                        raise InvalidRequest(
                            f"more than {max_sorted} rows match: sorting is offered up to that "
                            "many; add a filter, or page without a sort"
                        )
                    kept.append(group)
                else:
                    start = max(offset - matched, 0)
                    stop = min(offset + limit - matched, group.num_rows)
                    if start < stop:
                        kept.append(group.slice(start, stop - start))
                matched += group.num_rows
            empty = parquet.schema_arrow.empty_table().select(list(columns))
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    table = pa.concat_tables(kept) if kept else empty
    if sort:
        table = table.take(pc.sort_indices(table, sort_keys=list(sort))).slice(offset, limit)
    return ScanPage(table.select(list(returned)), matched)
