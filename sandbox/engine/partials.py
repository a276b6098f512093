"""Exact partial aggregates of one Parquet fragment, and their combination.

A :class:`PartialPlan` (:mod:`sandbox.engine.partial_plan`) says what to compute: group keys
(with the declared values a row must have, if any), optional numeric bins, optional
statistics of one numeric column (quantised sums, sums of squares, per-candidate counts for
quantiles), and the query's derived columns and filter. Each fragment of the bounded copy
is read, its derived columns computed and its filter evaluated (:func:`apply_shape`: after
contribution bounding, see :mod:`sandbox.engine.shape`); rows the filter drops are routed
to a discarded group rather than removed, so the work does not depend on how many match.
Each fragment yields a small ``{group key tuple: GroupStats}``; the driver adds them up
exactly (Python integers) and only then is noise added, once. Keys whose every column has
declared values take the dense numpy path (:mod:`sandbox.engine.dense`), the others
pyarrow's hash aggregation.

Everything here is exact and deterministic; nothing is released from this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.engine.dense import dense_eligible, dense_partial
from sandbox.engine.partial_plan import (
    BIN,
    CODE,
    KEEP,
    SQUARES,
    UNITS,
    BinSpec,
    Fragment,
    GroupKey,
    GroupStats,
    KeySpec,
    Partial,
    PartialPlan,
    ValueSpec,
)
from sandbox.engine.shape import apply_shape
from sandbox.storage.encryption import read_properties

__all__ = [
    "BinSpec",
    "Fragment",
    "GroupKey",
    "GroupStats",
    "KeySpec",
    "Partial",
    "PartialPlan",
    "ValueSpec",
    "combine",
    "compute_partial",
    "compute_partials",
    "dense_eligible",
    "dense_partial",
    "general_partial",
    "partial_of_table",
    "read_fragment",
]


def read_fragment(
    filesystem: pafs.FileSystem,
    fragment: Fragment,
    columns: list[str],
    dictionary: Sequence[str] = (),
) -> pa.Table:
    """The named columns of a fragment (``dictionary`` columns read dictionary-encoded)."""
    with filesystem.open_input_file(fragment.path) as handle:
        parquet = pq.ParquetFile(
            handle,
            read_dictionary=list(dictionary) or None,
            decryption_properties=read_properties(),
        )
        if fragment.row_groups is None:
            return parquet.read(columns=columns, use_threads=False)
        return parquet.read_row_groups(
            list(fragment.row_groups), columns=columns, use_threads=False
        )


def _usable(column: pa.ChunkedArray) -> pa.Array:
    values = pc.cast(column, pa.float64()).combine_chunks()
    return pc.fill_null(pc.and_(pc.is_valid(values), pc.invert(pc.is_nan(values))), False)


def compute_partial(filesystem: pafs.FileSystem, fragment: Fragment, plan: PartialPlan) -> Partial:
    """Exact per-group statistics of one fragment."""
    dictionary: list[str] = []
    columns = plan.file_columns()
    if dense_eligible(plan):
        # Declared keys (and the text columns filters and maps test) are matched on the
        # (small) dictionary, not on every row's string.
        with filesystem.open_input_file(fragment.path) as handle:
            schema = pq.ParquetFile(handle, decryption_properties=read_properties()).schema_arrow
        dictionary = [
            name
            for name in columns
            if pa.types.is_string(schema.field(name).type)
            or pa.types.is_large_string(schema.field(name).type)
        ]
    table = read_fragment(filesystem, fragment, columns, dictionary)
    return partial_of_table(table, plan)


def compute_partials(
    filesystem: pafs.FileSystem, fragments: Sequence[Fragment], plan: PartialPlan
) -> Partial:
    """Exact per-group statistics of several fragments, one after another (one Ray task).

    Only one fragment's columns are in memory at a time: memory is bounded by the
    fragment size, however many fragments a task is given.
    """
    total: Partial = {}
    for fragment in fragments:
        _add_into(total, compute_partial(filesystem, fragment, plan))
    return total


def partial_of_table(table: pa.Table, plan: PartialPlan) -> Partial:
    """Exact per-group statistics of an in-memory table (of the stored columns)."""
    table, keep = apply_shape(table, plan.derived, plan.where)
    if keep is not None:
        table = table.append_column(KEEP, keep)
    if dense_eligible(plan):
        return dense_partial(table, plan)
    return general_partial(_decoded(table, [d.name for d in plan.derived]), plan)


def _decoded(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """``table`` with the dictionary-encoded columns ``names`` as plain values."""
    for name in names:
        column = table[name]
        if pa.types.is_dictionary(column.type):
            plain = pc.cast(column, column.type.value_type)
            table = table.set_column(table.schema.get_field_index(name), name, plain)
    return table


def general_partial(table: pa.Table, plan: PartialPlan) -> Partial:
    """Exact per-group statistics of an in-memory table, with pyarrow's hash aggregation.

    A :data:`KEEP` column (the filter's mask) is one more group column; the groups of the
    rows it drops are discarded at the end.
    """
    mask: pa.Array | None = None
    filtered = KEEP in table.column_names

    def narrow(condition: pa.Array) -> None:
        nonlocal mask
        mask = condition if mask is None else pc.and_(mask, condition)

    for spec in plan.keys:
        if spec.allowed is not None:
            allowed = pa.array(list(spec.allowed), type=table.schema.field(spec.column).type)
            narrow(pc.fill_null(pc.is_in(table[spec.column], value_set=allowed), False))
    if plan.bins is not None:
        narrow(_usable(table[plan.bins.column]))
    if mask is not None:
        table = table.filter(mask)

    work: dict[str, Any] = {k.column: table[k.column] for k in plan.keys}
    if plan.bins is not None:
        work[BIN] = _bin_index(table[plan.bins.column], plan.bins)
    if filtered:
        work[KEEP] = table[KEEP]
    aggregates: list[tuple[Any, str]] = [([], "count_all")]
    value = plan.value
    numeric: np.ndarray | None = None
    usable: pa.Array | None = None
    if value is not None:
        usable = _usable(table[value.column])
        filled = pc.if_else(
            usable, pc.cast(table[value.column], pa.float64()).combine_chunks(), value.grid.lower
        )
        units, squares = value.grid.quantise(filled)
        null = pa.scalar(None, pa.int64())
        work[UNITS] = pc.if_else(usable, units, null)
        aggregates.append((UNITS, "count"))
        if value.moments >= 1:
            aggregates.append((UNITS, "sum"))
        if value.moments >= 2:
            work[SQUARES] = pc.if_else(usable, squares, null)
            aggregates.append((SQUARES, "sum"))
        if value.candidates is not None:
            numeric = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)
            numeric = np.clip(numeric, value.grid.lower, value.grid.upper)

    group_columns = plan.group_columns + ([KEEP] if filtered else [])
    frame = pa.table(work) if work else pa.table({"#one": pa.nulls(table.num_rows, pa.int8())})
    grouped = frame.group_by(group_columns, use_threads=False).aggregate(aggregates)
    result: Partial = {}
    keys = _key_tuples(grouped, group_columns)
    rows = grouped["count_all"].to_pylist()
    counts = grouped[f"{UNITS}_count"].to_pylist() if value is not None else None
    sums = grouped[f"{UNITS}_sum"].to_pylist() if value is not None and value.moments >= 1 else None
    square_sums = (
        grouped[f"{SQUARES}_sum"].to_pylist() if value is not None and value.moments >= 2 else None
    )
    for i, key in enumerate(keys):
        stats = GroupStats(rows=int(rows[i]))
        if counts is not None:
            stats.values = int(counts[i] or 0)
        if sums is not None:
            stats.units = int(sums[i] or 0)
        if square_sums is not None:
            stats.squares = int(square_sums[i] or 0)
        result[key] = stats

    if value is not None and value.candidates is not None:
        assert numeric is not None and usable is not None
        candidates = np.asarray(value.candidates, dtype=np.float64)
        position = np.searchsorted(candidates, numeric, side="left")
        at = np.minimum(position, len(candidates) - 1)
        equal = (position < len(candidates)) & (candidates[at] == numeric)
        codes = pa.array(2 * position + equal.astype(np.int64), pa.int64())
        coded = {name: work[name] for name in group_columns}
        coded[CODE] = codes
        coded_table = pa.table(coded).filter(usable)
        by_code = coded_table.group_by([*group_columns, CODE], use_threads=False).aggregate(
            [([], "count_all")]
        )
        code_keys = _key_tuples(by_code, group_columns)
        code_values = by_code[CODE].to_pylist()
        code_counts = by_code["count_all"].to_pylist()
        for key, code, count in zip(code_keys, code_values, code_counts, strict=True):
            stats = result.setdefault(key, GroupStats())
            stats.codes[int(code)] = stats.codes.get(int(code), 0) + int(count)
    if filtered:  # the last key column is the filter's verdict: keep its true groups only
        return {key[:-1]: stats for key, stats in result.items() if key[-1]}
    return result


def _bin_index(column: pa.ChunkedArray, bins: BinSpec) -> pa.Array:
    values = np.asarray(
        pc.cast(column, pa.float64()).combine_chunks().to_numpy(zero_copy_only=False),
        dtype=np.float64,
    )
    edges = np.asarray(bins.edges, dtype=np.float64)
    clipped = np.clip(values, edges[0], edges[-1])
    index = np.searchsorted(edges, clipped, side="right") - 1
    return pa.array(np.clip(index, 0, bins.count - 1).astype(np.int64))


def _key_tuples(table: pa.Table, columns: list[str]) -> list[GroupKey]:
    if not columns:
        return [()] * table.num_rows
    lists = [table[name].to_pylist() for name in columns]
    return list(zip(*lists, strict=True))


def _add_into(total: Partial, partial: Mapping[GroupKey, GroupStats]) -> None:
    for key, stats in partial.items():
        if key in total:
            total[key].add(stats)
        else:
            merged = GroupStats()
            merged.add(stats)
            total[key] = merged


def combine(partials: Iterable[Mapping[GroupKey, GroupStats]]) -> Partial:
    """Add up the partial aggregates of all fragments, exactly."""
    total: Partial = {}
    for partial in partials:
        _add_into(total, partial)
    return total
