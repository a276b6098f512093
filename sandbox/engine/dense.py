"""The dense (numpy) path of the exact partial aggregates: every key has declared values.

Groups are known in advance and few, so rows are counted and summed per cell of a
mixed-radix grid with ``np.bincount`` instead of hashing every row. Equal to the general
pyarrow path of :mod:`sandbox.engine.partials` (a test compares them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.engine.partial_plan import KEEP, GroupStats, Partial, PartialPlan

MAX_DENSE_GROUPS = 1 << 20
"""Largest number of declared groups the dense (numpy) path counts in one array."""
SUM_CHUNK_ROWS = 1 << 20
"""Rows per float64 accumulation of the dense path. Every summed weight is an integer of
magnitude at most ``2**GRID_BITS`` (``2**30``), so a chunk's partial sums stay below
``2**50``: far inside the ``2**53`` range where float64 adds integers exactly. Each chunk's
exact sums are converted to int64 before they are added up."""


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
        lookup = np.asarray(
            pc.fill_null(pc.index_in(column.dictionary, value_set=value_set), other).to_numpy(
                zero_copy_only=False
            ),
            dtype=np.int64,
        )
        lookup = np.append(lookup, np.int64(other))  # the code of null rows
        indices = column.indices
        if indices.null_count:
            indices = pc.fill_null(indices, len(column.dictionary))
        return np.asarray(indices.to_numpy(zero_copy_only=False)), lookup
    value_set = pa.array(list(allowed), type=column.type)
    found = pc.fill_null(pc.index_in(column, value_set=value_set), other)
    return (
        np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64),
        np.arange(other + 1, dtype=np.int64),
    )


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

    A :data:`KEEP` column (the filter's mask) sends the rows it drops to one more batch
    code, counted into a discarded cell past the grid (the same work as a kept row).
    """
    sizes = [len(k.allowed or ()) for k in plan.keys]
    radix = [size + 1 for size in sizes]
    cells = int(np.prod(radix)) if radix else 1
    # One more cell past the grid: the rows the filter drops.
    counts = np.zeros(cells + 1, dtype=np.int64)
    value = plan.value
    moments = value.moments if value is not None else 0
    values = np.zeros(cells + 1, dtype=np.int64)
    units = np.zeros(cells + 1, dtype=np.int64)
    squares = np.zeros(cells + 1, dtype=np.int64)
    filtered = KEEP in table.column_names
    columns = plan.columns() + ([KEEP] if filtered else [])
    for batch in table.select(columns).to_batches(max_chunksize=SUM_CHUNK_ROWS):
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
        if filtered:
            keep = np.asarray(batch.column(KEEP).to_numpy(zero_copy_only=False), dtype=bool)
            codes = np.where(keep, codes, len(cell_of))
            cell_of = np.append(cell_of, np.int64(cells))
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
            np.add.at(
                squares, cell_of, _sums(value_codes, grid.squares_numpy(clamped), length)[:width]
            )
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
    for code in np.flatnonzero(kept.reshape(-1) & (counts[:cells] > 0)).tolist():
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
