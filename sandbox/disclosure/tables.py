"""The trusted-side exact aggregates behind a raw-access job's ``ctx`` helpers.

A raw-access model asks the platform, by name, for a table (:func:`crosstab`: counts, or
the sum or mean of a value, per combination of key values) or a regression summary
(:func:`regression`: ordinary least squares). The platform computes it here, on the
trusted side, from the raw Arrow table, and keeps beside each cell the facts the output
checks need and the model never sees: the rows behind the cell and, for sums and means,
the contributions of its largest contributors (per privacy unit when the dataset names
one). The model receives :meth:`VerifiedOutput.to_output`, a marked JSON object; when it
returns that object unaltered, :func:`sandbox.disclosure.checks.check_result` can verify
every cell.

Errors are :class:`HelperError`: they name the argument at fault and never quote a data
value, because the model may let the message reach its job's error, which its user sees.

Rows with a null (or, for floating columns, a non-finite) value in a sum's or mean's value
column, or in any variable of a regression, are left out, as SQL aggregates do. Null keys
(and NaN or infinite floating keys) form one group of their own, keyed ``null``. A ``where``
condition never holds for a null value (``!=`` included).
"""

from __future__ import annotations

import abc
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "AGGREGATES",
    "MAX_CELLS",
    "MAX_KEYS",
    "MAX_PREDICTORS",
    "OPERATORS",
    "TOP_KEPT",
    "CellFacts",
    "HelperError",
    "VerifiedOutput",
    "VerifiedRegression",
    "VerifiedTable",
    "crosstab",
    "regression",
]

AGGREGATES = ("count", "sum", "mean")
"""What a crosstab computes per cell."""
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in")
"""Operators of a ``where`` condition."""
MAX_KEYS = 4
"""Most key columns (rows and cols together) of one crosstab."""
MAX_CELLS = 100_000
"""Most cells one crosstab may hold."""
MAX_PREDICTORS = 50
"""Most predictors of one regression."""
MAX_CONDITIONS = 20
"""Most ``where`` conditions of one call."""
MAX_IN_VALUES = 1000
"""Most literals of one ``in`` condition."""
TOP_KEPT = 10
"""Largest contributions kept per cell (the dominance rules need the top ``n``)."""

_COMPARE = {"==": pc.equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal,
            ">": pc.greater, ">=": pc.greater_equal}

Condition = tuple[str, str, Any]
"""``(column, operator, literal)``; the literal of ``in`` is a tuple of literals."""


class HelperError(ValueError):
    """A helper's arguments do not fit; the message names the argument, never a data value."""


# --- Facts and outputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class CellFacts:
    """What the checks know about one cell; never sent to the model."""

    count: int
    """Rows behind the cell."""
    contributors: int
    """Distinct privacy units behind the cell (rows, when the dataset names no unit)."""
    top: tuple[float, ...] = ()
    """Sums and means: the largest absolute contributions (per unit), largest first, at
    most :data:`TOP_KEPT` of them."""
    total: float | None = None
    """Sums and means: the sum of the absolute contributions."""

    @property
    def top1(self) -> float:
        """The largest absolute contribution (0 when none)."""
        return self.top[0] if self.top else 0.0

    @property
    def top2(self) -> float:
        """The second largest absolute contribution (0 when none)."""
        return self.top[1] if len(self.top) > 1 else 0.0


class VerifiedOutput(abc.ABC):
    """An exact aggregate the platform computed for a job, with the facts behind it."""

    kind: ClassVar[str]
    population: int
    """Rows the output rests on (after ``where``, and after leaving out null values)."""

    @abc.abstractmethod
    def to_output(self, output_id: str) -> dict[str, Any]:
        """The JSON the model receives (and must return unaltered to be verifiable)."""

    @property
    @abc.abstractmethod
    def spec(self) -> dict[str, Any]:
        """What was asked for, JSON-ready (two outputs of one spec compare cell by cell)."""

    @property
    @abc.abstractmethod
    def statistics(self) -> int:
        """The number of statistics (cells) the output releases."""


@dataclass(frozen=True, eq=False)
class VerifiedTable(VerifiedOutput):
    """A crosstab: a count, or the sum or mean of ``value``, per combination of key values."""

    kind: ClassVar[str] = "crosstab"
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    value: str | None
    agg: str
    where: tuple[Condition, ...]
    unit: str | None
    """The privacy unit column contributions were summed over (``None``: each row)."""
    columns: tuple[str, ...]
    """The output's column names: the keys, ``count``, then the value where there is one."""
    keys: tuple[tuple[Any, ...], ...]
    """Each cell's key values (JSON values), in output order."""
    cells: tuple[dict[str, Any], ...]
    """Each cell as ``{column: value}``: key values, the count, the value."""
    facts: tuple[CellFacts, ...]
    """Each cell's facts, in output order."""
    population: int

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key columns, rows then cols."""
        return self.rows + self.cols

    @property
    def spec(self) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.spec`."""
        return {"rows": list(self.rows), "cols": list(self.cols), "value": self.value,
                "agg": self.agg, "where": where_json(self.where)}

    @property
    def statistics(self) -> int:
        """A count per cell, and a value per cell for sums and means."""
        return len(self.cells) * (1 if self.value is None else 2)

    def to_output(self, output_id: str) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.to_output`."""
        return {"sdc_output": output_id, "kind": self.kind, "columns": list(self.columns),
                "rows": [[cell[name] for name in self.columns] for cell in self.cells]}


@dataclass(frozen=True, eq=False)
class VerifiedRegression(VerifiedOutput):
    """An ordinary least squares fit of ``y`` on ``x`` with an intercept."""

    kind: ClassVar[str] = "regression"
    y: str
    x: tuple[str, ...]
    where: tuple[Condition, ...]
    n: int
    """Rows fitted."""
    dof_resid: int
    """Residual degrees of freedom: ``n - len(x) - 1``."""
    rank: int
    """Rank of the design matrix (below ``len(x) + 1``: collinear, no estimates)."""
    terms: tuple[str, ...]
    """``intercept`` then each predictor."""
    estimates: tuple[float | None, ...]
    std_errors: tuple[float | None, ...]
    r2: float | None

    @property
    def population(self) -> int:  # type: ignore[override]
        """The rows fitted."""
        return self.n

    @property
    def spec(self) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.spec`."""
        return {"y": self.y, "x": list(self.x), "where": where_json(self.where)}

    @property
    def statistics(self) -> int:
        """An estimate and a standard error per term, then n, dof and r2."""
        return 2 * len(self.terms) + 3

    def to_output(self, output_id: str) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.to_output`."""
        return {
            "sdc_output": output_id, "kind": self.kind, "y": self.y, "x": list(self.x),
            "n": self.n, "dof_resid": self.dof_resid, "rank": self.rank, "r2": self.r2,
            "columns": ["term", "estimate", "std_error"],
            "rows": [[term, estimate, error] for term, estimate, error
                     in zip(self.terms, self.estimates, self.std_errors, strict=True)],
        }


def where_json(where: Sequence[Condition]) -> list[list[Any]]:
    """Conditions as JSON lists (an ``in`` literal as a list)."""
    return [[column, op, list(literal) if isinstance(literal, tuple | list) else literal]
            for column, op, literal in where]


# --- Validation ---------------------------------------------------------------------------------


def _names(argument: str, value: object, *, minimum: int = 0) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise HelperError(f"{argument} must be a list of column names")
    if len(value) < minimum:
        raise HelperError(f"{argument} must name at least {minimum} column"
                          + ("s" if minimum > 1 else ""))
    return tuple(value)


def _column(table: pa.Table, argument: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise HelperError(f"{argument} must be a column name")
    if name not in table.column_names:
        shown = name if len(name) <= 60 else name[:60] + "..."
        raise HelperError(f"{argument}: unknown column {shown!r}")
    return name


def _base_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def _is_key_type(data_type: pa.DataType) -> bool:
    t = _base_type(data_type)
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
                or pa.types.is_boolean(t) or pa.types.is_floating(t) or pa.types.is_date(t)
                or pa.types.is_timestamp(t))


def _is_numeric(data_type: pa.DataType) -> bool:
    t = _base_type(data_type)
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
                or pa.types.is_boolean(t))


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One array of the column's plain (not dictionary-encoded) values."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array


def _is_literal(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def _literal_scalar(table: pa.Table, index: int, column: str, literal: object) -> pa.Scalar:
    """The literal as a scalar comparable with the column (or a clear refusal)."""
    data_type = _base_type(table.schema.field(column).type)
    where = f"where[{index}]"
    if pa.types.is_boolean(data_type):
        if not isinstance(literal, bool):
            raise HelperError(f"{where}: column {column!r} holds true/false; compare it with "
                              "true or false")
        return pa.scalar(literal)
    if _is_numeric(data_type):
        if isinstance(literal, bool) or not isinstance(literal, int | float):
            raise HelperError(f"{where}: column {column!r} is numeric; compare it with a number")
        return pa.scalar(literal)
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        if not isinstance(literal, str):
            raise HelperError(f"{where}: column {column!r} holds text; compare it with text")
        return pa.scalar(literal, type=data_type)
    if pa.types.is_date(data_type) or pa.types.is_timestamp(data_type):
        if not isinstance(literal, str):
            raise HelperError(f"{where}: column {column!r} holds dates or times; compare it "
                              "with an ISO date or time text")
        try:
            return pa.scalar(literal).cast(data_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise HelperError(f"{where}: the literal is not an ISO date or time") from None
    raise HelperError(f"{where}: column {column!r} cannot be filtered")


def _conditions(table: pa.Table, where: object) -> tuple[Condition, ...]:
    if where is None:
        return ()
    if not isinstance(where, list | tuple):
        raise HelperError("where must be a list of [column, operator, literal] conditions")
    if len(where) > MAX_CONDITIONS:
        raise HelperError(f"where may hold at most {MAX_CONDITIONS} conditions")
    found: list[Condition] = []
    for index, condition in enumerate(where):
        if not isinstance(condition, list | tuple) or len(condition) != 3:
            raise HelperError(f"where[{index}] must be [column, operator, literal]")
        column, op, literal = condition
        column = _column(table, f"where[{index}]", column)
        if op not in OPERATORS:
            raise HelperError(f"where[{index}]: the operator must be one of: "
                              f"{', '.join(OPERATORS)}")
        if op == "in":
            if (not isinstance(literal, list | tuple) or not literal
                    or len(literal) > MAX_IN_VALUES
                    or not all(_is_literal(v) for v in literal)):
                raise HelperError(f"where[{index}]: 'in' takes a list of 1 to {MAX_IN_VALUES} "
                                  "texts or numbers")
            for item in literal:
                _literal_scalar(table, index, column, item)
            found.append((column, op, tuple(literal)))
        else:
            if not _is_literal(literal):
                raise HelperError(f"where[{index}]: the literal must be a text, a number, or "
                                  "true or false")
            _literal_scalar(table, index, column, literal)
            found.append((column, str(op), literal))
    return tuple(found)


def _filter(table: pa.Table, where: Sequence[Condition]) -> pa.Table:
    mask: pa.Array | None = None
    for index, (column, op, literal) in enumerate(where):
        values = _plain(table.column(column))
        if pa.types.is_decimal(values.type):
            values = values.cast(pa.float64())
        try:
            if op == "in":
                items = [_literal_scalar(table, index, column, v) for v in literal]
                if _is_numeric(values.type) and not pa.types.is_boolean(values.type):
                    if any(isinstance(v, float) for v in literal):
                        value_set = pa.array([float(v) for v in literal], type=pa.float64())
                    else:
                        value_set = pa.array(list(literal), type=pa.int64())
                else:
                    value_set = pa.array([item.as_py() for item in items], type=items[0].type)
                matched = pc.is_in(values, value_set=value_set)
            else:
                scalar = _literal_scalar(table, index, column, literal)
                matched = _COMPARE[op](values, scalar)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            raise HelperError(f"where[{index}]: the literal does not fit column {column!r}"
                              ) from None
        matched = pc.fill_null(matched, False)
        mask = matched if mask is None else pc.and_(mask, matched)
    return table if mask is None else table.filter(mask)


def _valid_numbers(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The rows whose ``columns`` all hold a finite number."""
    mask: pa.Array | None = None
    for name in columns:
        values = _plain(table.column(name)).cast(pa.float64())
        ok = pc.fill_null(pc.is_finite(values), False)
        mask = ok if mask is None else pc.and_(mask, ok)
    return table if mask is None else table.filter(mask)


def _numbers(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = _plain(table.column(column)).cast(pa.float64())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


# --- Crosstab -----------------------------------------------------------------------------------


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
    values = _plain(column)
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.fill_null(pc.is_finite(values), False), values,
                            pa.scalar(None, type=values.type))
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


def crosstab(table: pa.Table, *, rows: Sequence[str], cols: Sequence[str] = (),
             value: str | None = None, agg: str = "count",
             where: Sequence[Condition] | None = None, unit: str | None = None
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
    row_keys = _names("rows", rows)
    col_keys = _names("cols", cols)
    keys = row_keys + col_keys
    if len(keys) > MAX_KEYS:
        raise HelperError(f"rows and cols may name at most {MAX_KEYS} key columns together")
    if len(set(keys)) != len(keys):
        raise HelperError("rows and cols must name each key column once")
    for argument, names in (("rows", row_keys), ("cols", col_keys)):
        for name in names:
            _column(table, argument, name)
            if not _is_key_type(table.schema.field(name).type):
                raise HelperError(f"{argument}: column {name!r} does not hold plain values "
                                  "(texts, numbers, dates)")
    if agg not in AGGREGATES:
        raise HelperError(f"agg must be one of: {', '.join(AGGREGATES)}")
    if agg == "count":
        if value is not None:
            raise HelperError("value is only for agg 'sum' or 'mean'")
    else:
        value = _column(table, "value", value)
        if not _is_numeric(table.schema.field(value).type):
            raise HelperError(f"value: column {value!r} is not numeric")
    if unit is not None:
        unit = _column(table, "unit", unit)
    conditions = _conditions(table, where)

    selected = _filter(table, conditions)
    if value is not None:
        selected = _valid_numbers(selected, [value])
    n = selected.num_rows

    if keys:
        encoded = [_codes(selected.column(name)) for name in keys]
        stacked = np.stack([codes for codes, _ in encoded], axis=1)
        unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        key_values = [tuple(_json_key(encoded[j][1][code]) if code >= 0 else None
                            for j, code in enumerate(row)) for row in unique.tolist()]
    else:
        inverse = np.zeros(n, dtype=np.int64)
        key_values = [()] if n else []
    n_cells = len(key_values)
    if n_cells > MAX_CELLS:
        raise HelperError(f"the table would hold more than {MAX_CELLS} cells; use fewer or "
                          "coarser keys")
    counts = np.bincount(inverse, minlength=n_cells)

    # Contributions: one per privacy unit within a cell (rows without a unit count alone),
    # or one per row.
    values = _numbers(selected, value) if value is not None else None
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
            contributions = np.bincount(pair_of_row.reshape(-1), weights=values,
                                        minlength=len(pairs)).astype(np.float64)
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
            tops[cell] = tuple(float(x) for x in sorted_abs[int(starts[cell]):stop])
            totals[cell] = float(total[cell])
    sums = (np.bincount(inverse, weights=values, minlength=n_cells)
            if values is not None else None)

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
        facts.append(CellFacts(count=count, contributors=int(contributors[cell]),
                               top=tops[cell], total=totals[cell]))
    return VerifiedTable(
        rows=row_keys, cols=col_keys, value=value, agg=agg, where=conditions, unit=unit,
        columns=columns, keys=tuple(key_values[c] for c in order_of_cells),
        cells=tuple(cells), facts=tuple(facts), population=n,
    )


# --- Regression ---------------------------------------------------------------------------------


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def regression(table: pa.Table, *, y: str | None, x: Sequence[str],
               where: Sequence[Condition] | None = None) -> VerifiedRegression:
    """Ordinary least squares of ``y`` on ``x`` with an intercept.

    Rows where ``y`` or any ``x`` is null or not finite are left out. With collinear
    predictors (the design's rank is below ``len(x) + 1``), or no residual degrees of
    freedom, the estimates (or standard errors) are ``None``.

    Raises:
        HelperError: An argument does not fit the table.
    """
    if not isinstance(table, pa.Table):
        raise HelperError("regression() needs a table")
    y = _column(table, "y", y)
    predictors = _names("x", x, minimum=1)
    if len(predictors) > MAX_PREDICTORS:
        raise HelperError(f"x may name at most {MAX_PREDICTORS} columns")
    if len(set(predictors)) != len(predictors) or y in predictors:
        raise HelperError("x must name each predictor once, and not y")
    for argument, name in [("y", y), *(("x", p) for p in predictors)]:
        _column(table, argument, name)
        if not _is_numeric(table.schema.field(name).type):
            raise HelperError(f"{argument}: column {name!r} is not numeric")
    conditions = _conditions(table, where)
    selected = _valid_numbers(_filter(table, conditions), [y, *predictors])
    n = selected.num_rows
    p = len(predictors) + 1
    dof = n - p
    terms = ("intercept", *predictors)
    estimates: list[float | None] = [None] * p
    errors: list[float | None] = [None] * p
    r2: float | None = None
    rank = 0
    if n:
        target = _numbers(selected, y)
        design = np.column_stack([np.ones(n)] + [_numbers(selected, c) for c in predictors])
        beta, _, rank_found, _ = np.linalg.lstsq(design, target, rcond=None)
        rank = int(rank_found)
        if rank == p:
            residuals = target - design @ beta
            rss = float(residuals @ residuals)
            centred = target - target.mean()
            tss = float(centred @ centred)
            r2 = _finite(1.0 - rss / tss) if tss > 0 else None
            estimates = [_finite(b) for b in beta]
            if dof > 0:
                covariance = (rss / dof) * np.linalg.inv(design.T @ design)
                errors = [_finite(math.sqrt(v)) if v >= 0 else None
                          for v in np.diag(covariance)]
    return VerifiedRegression(
        y=y, x=predictors, where=conditions, n=n, dof_resid=dof, rank=rank, terms=terms,
        estimates=tuple(estimates), std_errors=tuple(errors), r2=r2,
    )
