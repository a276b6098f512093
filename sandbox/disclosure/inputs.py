"""What a result is compared with to find row-level output: the values of its input.

:func:`input_values` keeps, on the trusted side, the distinct identifier and sensitive
values of a raw-access job's input tables; :func:`matches_in` finds which texts and
numbers of a result equal one of them (a sensitive value only when fewer than
``max(min_count, 2)`` rows hold it). The row-level rule
(:mod:`sandbox.disclosure.rules.row_level`) counts those matches, and every line of the
report shows a matching key or label as ``<withheld>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class InputValues:
    """What a result is compared with to find row-level output.

    Held as Arrow arrays of distinct values, so memory is bounded by the distinct values
    of the named columns (never more than the input table the trusted side already holds),
    and each lookup is one vectorised set membership per column.
    """

    identifiers: tuple[pa.Array, ...] = ()
    """Distinct identifier values, as text."""
    sensitive_text: tuple[tuple[pa.Array, pa.Array], ...] = ()
    """Distinct sensitive values as text (texts, dates), with the rows holding each."""
    sensitive_numbers: tuple[tuple[pa.Array, pa.Array], ...] = ()
    """Distinct finite non-integer sensitive numbers, with the rows holding each."""
    columns: tuple[frozenset[str], ...] = ()
    """The column names of each input table."""

    def union(self, other: InputValues) -> InputValues:
        """The values of both inputs (a job reading several datasets)."""
        return InputValues(
            self.identifiers + other.identifiers,
            self.sensitive_text + other.sensitive_text,
            self.sensitive_numbers + other.sensitive_numbers,
            self.columns + other.columns,
        )


def _value_counts(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    counted = pc.value_counts(values.drop_null())
    return counted.field("values"), counted.field("counts")


def input_values(
    table: pa.Table | None, identifier_columns: Iterable[str], sensitive_columns: Iterable[str]
) -> InputValues:
    """The identifier and sensitive values of an input table (``None``: no input).

    Identifiers of any type are kept as text (``123`` as ``"123"``). Sensitive columns of
    text, dates or times are kept as text; of floating or decimal numbers, their finite
    non-integer values (integers would collide with every count); integer sensitive
    columns are not kept. Columns the table lacks are skipped.
    """
    if table is None:
        return InputValues()
    identifiers: list[pa.Array] = []
    text: list[tuple[pa.Array, pa.Array]] = []
    numbers: list[tuple[pa.Array, pa.Array]] = []
    for name in dict.fromkeys(identifier_columns):
        if name not in table.column_names:
            continue
        column = _plain(table.column(name))
        try:
            as_text = column.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        identifiers.append(pc.unique(as_text.drop_null()))
    for name in dict.fromkeys(sensitive_columns):
        if name not in table.column_names:
            continue
        column = _plain(table.column(name))
        kind = column.type
        if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            floats = column.cast(pa.float64())
            keep = pc.and_(
                pc.fill_null(pc.is_finite(floats), False), pc.not_equal(floats, pc.floor(floats))
            )
            numbers.append(_value_counts(floats.filter(pc.fill_null(keep, False))))
        elif (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_date(kind)
            or pa.types.is_timestamp(kind)
        ):
            text.append(_value_counts(column.cast(pa.string())))
    return InputValues(
        tuple(identifiers), tuple(text), tuple(numbers), (frozenset(table.column_names),)
    )


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array


@dataclass(frozen=True)
class Matches:
    """The texts and numbers of one result that equal input values."""

    identifiers: frozenset[str] = frozenset()
    text: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()

    def bad(self, value: object) -> bool:
        """Whether ``value`` equals an identifier or a rare sensitive value."""
        if isinstance(value, str):
            return value in self.identifiers or value in self.text
        if isinstance(value, float):
            return value in self.numbers
        return False


def _collect(value: Any, texts: set[str], numbers: set[float]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts.add(item)
        elif isinstance(item, float):
            if math.isfinite(item) and not item.is_integer():
                numbers.add(item)
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                if isinstance(key, str):
                    texts.add(key)
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _hits(candidates: pa.Array, value_sets: Iterable[pa.Array]) -> set[Any]:
    found: set[Any] = set()
    if len(candidates) == 0:
        return found
    for value_set in value_sets:
        if len(value_set) == 0:
            continue
        found.update(candidates.filter(pc.is_in(candidates, value_set=value_set)).to_pylist())
    return found


def matches_in(result: Any, values: InputValues, rare_below: int) -> Matches:
    """The texts and numbers of ``result`` equal to an identifier of the input, or to a
    sensitive value held by fewer than ``rare_below`` of its rows.
    """
    texts: set[str] = set()
    numbers: set[float] = set()
    _collect(result, texts, numbers)
    text_array = pa.array(sorted(texts), type=pa.string())
    number_array = pa.array(sorted(numbers), type=pa.float64())

    def rare(pairs: Iterable[tuple[pa.Array, pa.Array]]) -> list[pa.Array]:
        return [values_.filter(pc.less(counts, rare_below)) for values_, counts in pairs]

    return Matches(
        identifiers=frozenset(_hits(text_array, values.identifiers)),
        text=frozenset(_hits(text_array, rare(values.sensitive_text))),
        numbers=frozenset(_hits(number_array, rare(values.sensitive_numbers))),
    )
