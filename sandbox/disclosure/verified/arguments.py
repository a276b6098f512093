"""The arguments of the raw-access helpers, checked against the table they read.

Every refusal is a :class:`HelperError` that names the argument at fault and never quotes a
data value: the model may let the message reach its job's error, which its user sees. A
``where`` argument is a list of ``[column, operator, literal]`` conditions
(:data:`OPERATORS`); a condition never holds for a null value (``!=`` included).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.disclosure.verified.outputs import Condition

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in")
"""Operators of a ``where`` condition."""
MAX_CONDITIONS = 20
"""Most ``where`` conditions of one call."""
MAX_IN_VALUES = 1000
"""Most literals of one ``in`` condition."""

_COMPARE = {
    "==": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}


class HelperError(ValueError):
    """A helper's arguments do not fit; the message names the argument, never a data value."""


def column_list(argument: str, value: object, *, minimum: int = 0) -> tuple[str, ...]:
    """``value`` as a list of column names (at least ``minimum`` of them)."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise HelperError(f"{argument} must be a list of column names")
    if len(value) < minimum:
        raise HelperError(
            f"{argument} must name at least {minimum} column" + ("s" if minimum > 1 else "")
        )
    return tuple(value)


def column_name(table: pa.Table, argument: str, name: object) -> str:
    """``name`` as a column of ``table``; a long unknown name is cut in the message."""
    if not isinstance(name, str) or not name:
        raise HelperError(f"{argument} must be a column name")
    if name not in table.column_names:
        shown = name if len(name) <= 60 else name[:60] + "..."
        raise HelperError(f"{argument}: unknown column {shown!r}")
    return name


def _base_type(data_type: pa.DataType) -> pa.DataType:
    return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def is_key_type(data_type: pa.DataType) -> bool:
    """Whether a column of this type can key a crosstab (plain texts, numbers, dates)."""
    t = _base_type(data_type)
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_integer(t)
        or pa.types.is_boolean(t)
        or pa.types.is_floating(t)
        or pa.types.is_date(t)
        or pa.types.is_timestamp(t)
    )


def is_numeric(data_type: pa.DataType) -> bool:
    """Whether a column of this type can be summed or regressed (booleans count)."""
    t = _base_type(data_type)
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
    )


def plain_values(column: pa.ChunkedArray | pa.Array) -> pa.Array:
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
            raise HelperError(
                f"{where}: column {column!r} holds true/false; compare it with true or false"
            )
        return pa.scalar(literal)
    if is_numeric(data_type):
        if isinstance(literal, bool) or not isinstance(literal, int | float):
            raise HelperError(f"{where}: column {column!r} is numeric; compare it with a number")
        return pa.scalar(literal)
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        if not isinstance(literal, str):
            raise HelperError(f"{where}: column {column!r} holds text; compare it with text")
        return pa.scalar(literal, type=data_type)
    if pa.types.is_date(data_type) or pa.types.is_timestamp(data_type):
        if not isinstance(literal, str):
            raise HelperError(
                f"{where}: column {column!r} holds dates or times; compare it "
                "with an ISO date or time text"
            )
        try:
            return pa.scalar(literal).cast(data_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise HelperError(f"{where}: the literal is not an ISO date or time") from None
    raise HelperError(f"{where}: column {column!r} cannot be filtered")


def conditions_of(table: pa.Table, where: object) -> tuple[Condition, ...]:
    """The ``where`` argument checked against ``table``: each column, operator and literal."""
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
        column = column_name(table, f"where[{index}]", column)
        if op not in OPERATORS:
            raise HelperError(
                f"where[{index}]: the operator must be one of: {', '.join(OPERATORS)}"
            )
        if op == "in":
            if (
                not isinstance(literal, list | tuple)
                or not literal
                or len(literal) > MAX_IN_VALUES
                or not all(_is_literal(v) for v in literal)
            ):
                raise HelperError(
                    f"where[{index}]: 'in' takes a list of 1 to {MAX_IN_VALUES} texts or numbers"
                )
            for item in literal:
                _literal_scalar(table, index, column, item)
            found.append((column, op, tuple(literal)))
        else:
            if not _is_literal(literal):
                raise HelperError(
                    f"where[{index}]: the literal must be a text, a number, or true or false"
                )
            _literal_scalar(table, index, column, literal)
            found.append((column, str(op), literal))
    return tuple(found)


def rows_where(table: pa.Table, where: Sequence[Condition]) -> pa.Table:
    """The rows meeting every condition (a null never meets one, ``!=`` included)."""
    mask: pa.Array | None = None
    for index, (column, op, literal) in enumerate(where):
        values = plain_values(table.column(column))
        if pa.types.is_decimal(values.type):
            values = values.cast(pa.float64())
        try:
            if op == "in":
                items = [_literal_scalar(table, index, column, v) for v in literal]
                if is_numeric(values.type) and not pa.types.is_boolean(values.type):
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
            raise HelperError(
                f"where[{index}]: the literal does not fit column {column!r}"
            ) from None
        matched = pc.fill_null(matched, False)
        mask = matched if mask is None else pc.and_(mask, matched)
    return table if mask is None else table.filter(mask)


def rows_with_numbers(table: pa.Table, columns: Sequence[str]) -> pa.Table:
    """The rows whose ``columns`` all hold a finite number."""
    mask: pa.Array | None = None
    for name in columns:
        values = plain_values(table.column(name)).cast(pa.float64())
        ok = pc.fill_null(pc.is_finite(values), False)
        mask = ok if mask is None else pc.and_(mask, ok)
    return table if mask is None else table.filter(mask)


def numbers_of(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A numeric column as float64 numbers."""
    values = plain_values(table.column(column)).cast(pa.float64())
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
