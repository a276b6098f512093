"""Exact partial aggregates of one Parquet fragment, and their combination.

A :class:`PartialPlan` says what to compute: group keys (with the declared values a row must
have, if any), optional numeric bins, and optional statistics of one numeric column
(quantised sums, sums of squares, per-candidate counts for quantiles). Each fragment yields
a small ``{group key tuple: GroupStats}``; the driver adds them up exactly (Python integers)
and only then is noise added, once.

Everything here is exact and deterministic; nothing is released from this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.engine.fixedpoint import Grid

BIN = "#bin"
UNITS = "#units"
SQUARES = "#squares"
CODE = "#code"
"""Internal column names; a data column can never be named like this (see COLUMN_NAME)."""

GroupKey = tuple[Any, ...]

MAX_DENSE_GROUPS = 1 << 20
"""Largest number of declared groups the dense (numpy) path counts in one array."""
SUM_CHUNK_ROWS = 1 << 20
"""Rows per float64 accumulation of the dense path. Every summed weight is an integer of
magnitude at most ``2**GRID_BITS`` (``2**30``), so a chunk's partial sums stay below
``2**50``: far inside the ``2**53`` range where float64 adds integers exactly. Each chunk's
exact sums are converted to int64 before they are added up."""


@dataclass(frozen=True)
class Fragment:
    """A unit of parallel work: one Parquet file, or some of its row groups."""

    path: str
    row_groups: tuple[int, ...] | None = None
    """Row groups to read; ``None`` reads the whole file."""


@dataclass(frozen=True)
class KeySpec:
    """One group-key column and, if declared, the only values a row may have there."""

    column: str
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class BinSpec:
    """Numeric bins: values are clamped to ``[edges[0], edges[-1]]`` and binned."""

    column: str
    edges: tuple[float, ...]

    @property
    def count(self) -> int:
        """Number of bins."""
        return len(self.edges) - 1


@dataclass(frozen=True)
class ValueSpec:
    """Statistics of one numeric column: rows without a usable value are left out."""

    column: str
    grid: Grid
    moments: int = 0
    """0: count values only; 1: plus the quantised sum; 2: plus the sum of squares."""
    candidates: tuple[float, ...] | None = None
    """Quantile candidates (ascending): count values below / equal to each."""


@dataclass(frozen=True)
class PartialPlan:
    """What to compute per group of one fragment."""

    keys: tuple[KeySpec, ...] = ()
    bins: BinSpec | None = None
    value: ValueSpec | None = None

    def columns(self) -> list[str]:
        """The data columns the plan reads."""
        names = [k.column for k in self.keys]
        for extra in (self.bins.column if self.bins else None,
                      self.value.column if self.value else None):
            if extra is not None and extra not in names:
                names.append(extra)
        return names

    @property
    def group_columns(self) -> list[str]:
        """Columns of the group key tuple, in order (keys, then the bin index)."""
        return [k.column for k in self.keys] + ([BIN] if self.bins else [])


@dataclass
class GroupStats:
    """Exact statistics of one group."""

    rows: int = 0
    """Rows in the group (after key filters; with bins, rows with a usable value)."""
    values: int = 0
    """Rows with a usable value of the value column."""
    units: int = 0
    """Sum of quantised values (grid units)."""
    squares: int = 0
    """Sum of quantised squares (square grid units)."""
    codes: dict[int, int] = field(default_factory=dict)
    """Quantile codes: ``2k`` = strictly between candidates k-1 and k, ``2k+1`` = equal to k."""

    def add(self, other: GroupStats) -> None:
        """Add another fragment's statistics of the same group."""
        self.rows += other.rows
        self.values += other.values
        self.units += other.units
        self.squares += other.squares
        for code, count in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count

    def below_equal(self, candidates: int) -> tuple[list[int], list[int]]:
        """For each candidate: how many values are strictly below it, and equal to it."""
        below, equal = [], []
        running = 0
        for k in range(candidates):
            running += self.codes.get(2 * k, 0)
            below.append(running)
            here = self.codes.get(2 * k + 1, 0)
            equal.append(here)
            running += here
        return below, equal

    def quantile_scores(self, candidates: int, alpha: tuple[int, int]) -> list[int]:
        """Scores of each candidate as the ``a/b``-quantile (lower is better).

        ``|(b - a) * #below - a * #above|``, as OpenDP's ``make_quantile_score_candidates``
        computes them: adding or removing one value moves every score by at most
        ``max(a, b - a)``, the per-row L-infinity sensitivity.
        """
        a, b = alpha
        below, equal = self.below_equal(candidates)
        return [abs((b - a) * lo - a * (self.values - lo - eq))
                for lo, eq in zip(below, equal, strict=True)]


Partial = dict[GroupKey, GroupStats]


def read_fragment(filesystem: pafs.FileSystem, fragment: Fragment, columns: list[str],
                  dictionary: Sequence[str] = ()) -> pa.Table:
    """The named columns of a fragment (``dictionary`` columns read dictionary-encoded)."""
    with filesystem.open_input_file(fragment.path) as handle:
        parquet = pq.ParquetFile(handle, read_dictionary=list(dictionary) or None)
        if fragment.row_groups is None:
            return parquet.read(columns=columns, use_threads=False)
        return parquet.read_row_groups(list(fragment.row_groups), columns=columns,
                                       use_threads=False)


def _usable(column: pa.ChunkedArray) -> pa.Array:
    values = pc.cast(column, pa.float64()).combine_chunks()
    return pc.fill_null(pc.and_(pc.is_valid(values), pc.invert(pc.is_nan(values))), False)


def compute_partial(filesystem: pafs.FileSystem, fragment: Fragment, plan: PartialPlan
                    ) -> Partial:
    """Exact per-group statistics of one fragment."""
    dictionary: list[str] = []
    if dense_eligible(plan):
        # Declared keys are matched on the (small) dictionary, not on every row's string.
        with filesystem.open_input_file(fragment.path) as handle:
            schema = pq.ParquetFile(handle).schema_arrow
        dictionary = [k.column for k in plan.keys
                      if pa.types.is_string(schema.field(k.column).type)
                      or pa.types.is_large_string(schema.field(k.column).type)]
    table = read_fragment(filesystem, fragment, plan.columns(), dictionary)
    return partial_of_table(table, plan)


def compute_partials(filesystem: pafs.FileSystem, fragments: Sequence[Fragment],
                     plan: PartialPlan) -> Partial:
    """Exact per-group statistics of several fragments, one after another (one Ray task).

    Only one fragment's columns are in memory at a time: memory is bounded by the
    fragment size, however many fragments a task is given.
    """
    total: Partial = {}
    for fragment in fragments:
        _add_into(total, compute_partial(filesystem, fragment, plan))
    return total


def dense_eligible(plan: PartialPlan) -> bool:
    """Whether the dense numpy path computes this plan (else the general pyarrow one).

    Dense: every key has declared values (so groups are known in advance and few), no
    numeric bins, no quantile candidates.
    """
    if plan.bins is not None or (plan.value is not None and plan.value.candidates is not None):
        return False
    if any(k.allowed is None or len(k.allowed) == 0 for k in plan.keys):
        return False
    groups = 1
    for k in plan.keys:
        assert k.allowed is not None
        groups *= len(k.allowed)
    return groups <= MAX_DENSE_GROUPS


def _key_digits(column: pa.Array, allowed: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A key column of one batch as (row codes, code -> digit).

    The digit of a row is the position of its value in ``allowed``, or ``len(allowed)``
    (null or not declared: the key's "other" digit, discarded after counting). For a
    dictionary-encoded column the row codes are its dictionary indices (no per-row lookup:
    the few dictionary values are looked up once); otherwise they are the digits.
    """
    other = len(allowed)
    if pa.types.is_dictionary(column.type):
        value_set = pa.array(list(allowed), type=column.type.value_type)
        lookup = np.asarray(pc.fill_null(pc.index_in(column.dictionary, value_set=value_set),
                                         other).to_numpy(zero_copy_only=False), dtype=np.int64)
        lookup = np.append(lookup, np.int64(other))  # the code of null rows
        indices = column.indices
        if indices.null_count:
            indices = pc.fill_null(indices, len(column.dictionary))
        return np.asarray(indices.to_numpy(zero_copy_only=False)), lookup
    value_set = pa.array(list(allowed), type=column.type)
    found = pc.fill_null(pc.index_in(column, value_set=value_set), other)
    return (np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64),
            np.arange(other + 1, dtype=np.int64))


def _exact_sums(codes: np.ndarray, weights: np.ndarray, length: int) -> np.ndarray | None:
    """Exact int64 sums of integral float64 ``weights`` per code (see SUM_CHUNK_ROWS).

    ``None`` if a weight was NaN (a NaN or null value the caller did not mask out).
    """
    total = np.zeros(length, dtype=np.int64)
    for start in range(0, len(codes), SUM_CHUNK_ROWS):
        stop = start + SUM_CHUNK_ROWS
        sums = np.bincount(codes[start:stop], weights=weights[start:stop], minlength=length)
        if np.isnan(sums).any():
            return None
        total += sums.astype(np.int64)
    return total


def _sums(codes: np.ndarray, weights: np.ndarray, length: int) -> np.ndarray:
    sums = _exact_sums(codes, weights, length)
    if sums is None:
        raise ValueError("a NaN weight reached an exact sum")
    return sums


def dense_partial(table: pa.Table, plan: PartialPlan) -> Partial:
    """:func:`partial_of_table` for a :func:`dense_eligible` plan, with numpy.

    Groups are the cells of a mixed-radix grid over the keys' declared values plus one
    "other" digit per key (null or undeclared), discarded at the end. Per record batch,
    rows are counted and summed per batch code with ``np.bincount`` (for dictionary
    columns the code is the dictionary index), and the few batch codes are then mapped to
    cells. Values are quantised by :meth:`Grid.raw_numpy` (bit for bit the pyarrow
    quantisation) and summed exactly (:func:`_exact_sums`). Equal to
    :func:`general_partial`: a test compares them.
    """
    sizes = [len(k.allowed or ()) for k in plan.keys]
    radix = [size + 1 for size in sizes]
    cells = int(np.prod(radix)) if radix else 1
    counts = np.zeros(cells, dtype=np.int64)
    value = plan.value
    moments = value.moments if value is not None else 0
    values = np.zeros(cells, dtype=np.int64)
    units = np.zeros(cells, dtype=np.int64)
    squares = np.zeros(cells, dtype=np.int64)
    for batch in table.select(plan.columns()).to_batches(max_chunksize=SUM_CHUNK_ROWS):
        # Batch codes: mixed radix over each key's row codes; cell of each batch code.
        codes: np.ndarray | None = None
        cell_of = np.zeros(1, dtype=np.int64)
        for spec, base in zip(plan.keys, radix, strict=True):
            assert spec.allowed is not None
            row_codes, digits = _key_digits(batch.column(spec.column), spec.allowed)
            width = len(digits)
            codes = row_codes if codes is None else codes * width + row_codes
            cell_of = (cell_of[:, None] * base + digits[None, :]).reshape(-1)
        if codes is None:
            codes = np.zeros(batch.num_rows, dtype=np.int64)
        width = len(cell_of)
        batch_counts = np.bincount(codes, minlength=width)
        np.add.at(counts, cell_of, batch_counts)
        if value is None:
            continue
        grid = value.grid
        column = pc.cast(batch.column(value.column), pa.float64())
        numeric = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
        clamped, raw = grid.raw_numpy(numeric)  # nulls came out as NaN
        # The common case (no null or NaN value) takes no pass to find unusable values:
        # a NaN would show up in the per-code sums instead.
        batch_units = None
        clean = column.null_count == 0
        if clean and moments >= 1:
            batch_units = _exact_sums(codes, raw, width)
            clean = batch_units is not None
        elif clean:
            clean = not np.isnan(numeric).any()
        value_codes, length, batch_values = codes, width, batch_counts
        if not clean:  # unusable values are left out: their rows go to a discarded code
            unusable = np.isnan(numeric)
            value_codes, length = np.where(unusable, width, codes), width + 1
            batch_values = np.bincount(value_codes, minlength=length)[:width]
            clamped, raw = grid.raw_numpy(np.where(unusable, grid.lower, numeric))
            if moments >= 1:
                batch_units = _sums(value_codes, raw, length)[:width]
        np.add.at(values, cell_of, batch_values)
        if batch_units is not None:
            np.add.at(units, cell_of, batch_units)
        if moments >= 2:
            np.add.at(squares, cell_of,
                      _sums(value_codes, grid.squares_numpy(clamped), length)[:width])
    if value is not None and moments >= 1 and value.grid.offset_units:
        units -= value.grid.offset_units * values
    # Keep only the cells whose every digit is a declared value.
    kept = np.ones(radix or [1], dtype=bool)
    for axis, size in enumerate(sizes):
        index: list[slice] = [slice(None)] * len(sizes)
        index[axis] = slice(size, None)
        kept[tuple(index)] = False
    result: Partial = {}
    allowed = [k.allowed or () for k in plan.keys]
    for code in np.flatnonzero(kept.reshape(-1) & (counts > 0)).tolist():
        key: list[Any] = []
        rest = code
        for base, values_of in zip(reversed(radix), reversed(allowed), strict=True):
            rest, position = divmod(rest, base)
            key.append(values_of[position])
        stats = GroupStats(rows=int(counts[code]))
        if value is not None:
            stats.values = int(values[code])
        if moments >= 1:
            stats.units = int(units[code])
        if moments >= 2:
            stats.squares = int(squares[code])
        result[tuple(reversed(key))] = stats
    return result


def partial_of_table(table: pa.Table, plan: PartialPlan) -> Partial:
    """Exact per-group statistics of an in-memory table."""
    if dense_eligible(plan):
        return dense_partial(table, plan)
    return general_partial(table, plan)


def general_partial(table: pa.Table, plan: PartialPlan) -> Partial:
    """Exact per-group statistics of an in-memory table, with pyarrow's hash aggregation."""
    mask: pa.Array | None = None

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
    aggregates: list[tuple[Any, str]] = [([], "count_all")]
    value = plan.value
    numeric: np.ndarray | None = None
    usable: pa.Array | None = None
    if value is not None:
        usable = _usable(table[value.column])
        filled = pc.if_else(usable, pc.cast(table[value.column], pa.float64()).combine_chunks(),
                            value.grid.lower)
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

    group_columns = plan.group_columns
    frame = pa.table(work) if work else pa.table({"#one": pa.nulls(table.num_rows, pa.int8())})
    grouped = frame.group_by(group_columns, use_threads=False).aggregate(aggregates)
    result: Partial = {}
    keys = _key_tuples(grouped, group_columns)
    rows = grouped["count_all"].to_pylist()
    counts = grouped[f"{UNITS}_count"].to_pylist() if value is not None else None
    sums = grouped[f"{UNITS}_sum"].to_pylist() if value is not None and value.moments >= 1 \
        else None
    square_sums = grouped[f"{SQUARES}_sum"].to_pylist() \
        if value is not None and value.moments >= 2 else None
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
            [([], "count_all")])
        code_keys = _key_tuples(by_code, group_columns)
        code_values = by_code[CODE].to_pylist()
        code_counts = by_code["count_all"].to_pylist()
        for key, code, count in zip(code_keys, code_values, code_counts, strict=True):
            stats = result.setdefault(key, GroupStats())
            stats.codes[int(code)] = stats.codes.get(int(code), 0) + int(count)
    return result


def _bin_index(column: pa.ChunkedArray, bins: BinSpec) -> pa.Array:
    values = np.asarray(pc.cast(column, pa.float64()).combine_chunks()
                        .to_numpy(zero_copy_only=False), dtype=np.float64)
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
