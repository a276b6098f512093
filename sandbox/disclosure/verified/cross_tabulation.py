"""``ctx.crosstab``: a count, sum or mean per combination of key values, exactly.

Computed on the trusted side from the raw Arrow table, with each cell's facts: the rows
behind it, its distinct privacy units and, for sums and means, the largest absolute
contributions per unit (at most :data:`TOP_KEPT`) and their total, which the dominance
rules need. Rows with a null (or non-finite) value are left out of a sum or mean, as SQL
aggregates do; null (and NaN or infinite floating) keys form one group of their own, keyed
``null``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.disclosure.verified.arguments import (
    HelperError,
    column_list,
    column_name,
    conditions_of,
    is_key_type,
    is_numeric,
    numbers_of,
    plain_values,
    rows_where,
    rows_with_numbers,
)
from sandbox.disclosure.verified.outputs import CellFacts, Condition, VerifiedTable

AGGREGATES = ("count", "sum", "mean")
"""What a crosstab computes per cell."""
MAX_KEYS = 4
"""Most key columns (rows and cols together) of one crosstab."""
MAX_CELLS = 100_000
"""Most cells one crosstab may hold."""
TOP_KEPT = 10
"""Largest contributions kept per cell (the dominance rules need the top ``n``)."""


def _json_key(value: object) -> Any:
    """A key value as a JSON value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray[Any, np.dtype[np.int64]], list[Any]]:
    """Each row's code (-1 for null) and the distinct values by code."""
    values = plain_values(column)
    if pa.types.is_floating(values.type):
        values = pc.if_else(
            pc.fill_null(pc.is_finite(values), False), values, pa.scalar(None, type=values.type)
        )
    encoded = pc.dictionary_encode(values)
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return np.asarray(indices, dtype=np.int64), encoded.dictionary.to_pylist()


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, 0 if value is None else value) for value in key)


def _unique_names(names: Sequence[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    result = []
    for name in names:
        while name in seen:
            name += "_"
        seen.add(name)
        result.append(name)
    return tuple(result)


def crosstab(
    table: pa.Table,
    *,
    rows: Sequence[str],
    cols: Sequence[str] = (),
    value: str | None = None,
    agg: str = "count",
    where: Sequence[Condition] | None = None,
    unit: str | None = None,
) -> VerifiedTable:
    """A count, sum or mean per combination of key values, with the facts behind each cell.

    Args:
        table: The raw rows (trusted side only).
        rows: Key columns of the table's rows.
        cols: Key columns of its columns (a crosstab's keys are ``rows + cols``: at most
            :data:`MAX_KEYS` together; none gives one cell over every row).
        value: The numeric column summed or averaged (``sum`` and ``mean`` only).
        agg: ``count``, ``sum`` or ``mean``.
        where: ``(column, operator, literal)`` conditions every counted row meets.
        unit: The privacy unit column: contributions are summed per unit within a cell,
            and a cell's contributors are its distinct units.

    Returns:
        The table: a cell for each combination of key values present in the matching rows,
        ordered by key values (nulls last).

    Raises:
        HelperError: An argument does not fit the table.
    """
    if not isinstance(table, pa.Table):
        raise HelperError("crosstab() needs a table")
    row_keys = column_list("rows", rows)
    col_keys = column_list("cols", cols)
    keys = row_keys + col_keys
    if len(keys) > MAX_KEYS:
        raise HelperError(f"rows and cols may name at most {MAX_KEYS} key columns together")
    if len(set(keys)) != len(keys):
        raise HelperError("rows and cols must name each key column once")
    for argument, names in (("rows", row_keys), ("cols", col_keys)):
        for name in names:
            column_name(table, argument, name)
            if not is_key_type(table.schema.field(name).type):
                raise HelperError(
                    f"{argument}: column {name!r} does not hold plain values "
                    "(texts, numbers, dates)"
                )
    if agg not in AGGREGATES:
        raise HelperError(f"agg must be one of: {', '.join(AGGREGATES)}")
    if agg == "count":
        if value is not None:
            raise HelperError("value is only for agg 'sum' or 'mean'")
    else:
        value = column_name(table, "value", value)
        if not is_numeric(table.schema.field(value).type):
            raise HelperError(f"value: column {value!r} is not numeric")
    if unit is not None:
        unit = column_name(table, "unit", unit)
    conditions = conditions_of(table, where)

    selected = rows_where(table, conditions)
    if value is not None:
        selected = rows_with_numbers(selected, [value])
    n = selected.num_rows

    if keys:
        encoded = [_codes(selected.column(name)) for name in keys]
        stacked = np.stack([codes for codes, _ in encoded], axis=1)
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        key_values = [
            tuple(
                _json_key(encoded[j][1][code]) if code >= 0 else None for j, code in enumerate(row)
            )
            for row in unique.tolist()
        ]
    else:
        inverse = np.zeros(n, dtype=np.int64)
        key_values = [()] if n else []
    n_cells = len(key_values)
    if n_cells > MAX_CELLS:
        raise HelperError(
            f"the table would hold more than {MAX_CELLS} cells; use fewer or coarser keys"
        )
    counts = np.bincount(inverse, minlength=n_cells)

    # Contributions: one per privacy unit within a cell (rows without a unit count alone),
    # or one per row.
    values = numbers_of(selected, value) if value is not None else None
    if unit is not None:
        unit_codes, distinct = _codes(selected.column(unit))
        missing = unit_codes < 0
        unit_codes[missing] = len(distinct) + np.arange(int(missing.sum()), dtype=np.int64)
        width = max(1, len(distinct) + int(missing.sum()))
        pairs, pair_of_row = np.unique(inverse * width + unit_codes, return_inverse=True)
        pair_cell = pairs // width
        contributors = np.bincount(pair_cell, minlength=n_cells)
        contributions: np.ndarray[Any, np.dtype[np.float64]] | None = None
        if values is not None:
            contributions = np.bincount(
                pair_of_row.reshape(-1), weights=values, minlength=len(pairs)
            ).astype(np.float64)
    else:
        pair_cell = inverse
        contributors = counts
        contributions = values

    tops: list[tuple[float, ...]] = [() for _ in range(n_cells)]
    totals: list[float | None] = [None] * n_cells
    if contributions is not None:
        absolute = np.abs(contributions)
        total = np.bincount(pair_cell, weights=absolute, minlength=n_cells)
        order = np.lexsort((-absolute, pair_cell))
        sorted_cells, sorted_abs = pair_cell[order], absolute[order]
        starts = np.searchsorted(sorted_cells, np.arange(n_cells), side="left")
        ends = np.searchsorted(sorted_cells, np.arange(n_cells), side="right")
        for cell in range(n_cells):
            stop = min(int(ends[cell]), int(starts[cell]) + TOP_KEPT)
            tops[cell] = tuple(float(x) for x in sorted_abs[int(starts[cell]) : stop])
            totals[cell] = float(total[cell])
    sums = np.bincount(inverse, weights=values, minlength=n_cells) if values is not None else None

    value_name = [f"{value}_{agg}"] if value is not None else []
    columns = _unique_names([*keys, "count", *value_name])
    order_of_cells = sorted(range(n_cells), key=lambda c: _sort_key(key_values[c]))
    cells: list[dict[str, Any]] = []
    facts: list[CellFacts] = []
    for cell in order_of_cells:
        count = int(counts[cell])
        row: list[Any] = [*key_values[cell], count]
        if sums is not None:
            result = float(sums[cell]) if agg == "sum" else float(sums[cell]) / count
            row.append(result if math.isfinite(result) else None)
        cells.append(dict(zip(columns, row, strict=True)))
        facts.append(
            CellFacts(
                count=count,
                contributors=int(contributors[cell]),
                top=tops[cell],
                total=totals[cell],
            )
        )
    return VerifiedTable(
        rows=row_keys,
        cols=col_keys,
        value=value,
        agg=agg,
        where=conditions,
        unit=unit,
        columns=columns,
        keys=tuple(key_values[c] for c in order_of_cells),
        cells=tuple(cells),
        facts=tuple(facts),
        population=n,
    )
