"""Row filters of a DP query, built as data (never callables), checked, and evaluated exactly.

A model asks for ``where(*conditions)``; every condition must hold. A condition is plain data
(lists or tuples, and dicts of one key), so it crosses the channel as JSON and is checked here
against the dictionary before anything is read or charged::

    ["age", ">=", 65]                          # ==  !=  <  <=  >  >=  with a public constant
    ["district", "in", ["North", "South"]]     # on declared categories: only declared values
    ["age", "between", [18, 64]]               # both ends included
    ["income", "is_null"]                      # or "not_null"
    {"and": [c1, c2, ...]}  {"or": [c1, c2, ...]}  {"not": c}

Rules (each refusal names ``where()``, the column and the rule, never a value):

- the column exists (stored, or derived earlier in the query) and is not an identifier;
- the constant fits the column's type: numbers for numeric columns, ``True``/``False`` for
  booleans, text for strings, ISO text (``"2024-01-31"``) for dates and timestamps;
- ordering operators (``<``, ``between``, ...) only on numbers, dates and timestamps;
- on a column with public values (declared categories, booleans, derived columns) every
  constant of ``==``, ``!=`` and ``in`` is one of them: a typo is refused rather than
  silently matching nothing;
- at most :data:`MAX_NODES` conditions in all, nested at most :data:`MAX_DEPTH` deep.

Semantics are SQL's three-valued logic: a comparison with a null (or NaN) is unknown, ``not``
of unknown is unknown, and a row is kept only when the whole filter is true. So ``!=`` and
``not`` never keep a null; ``is_null`` is the way to select them.

Privacy: a filter keeps or drops each row on its own, so it is 1-stable (a privacy unit's
rows after the filter are a subset of its rows before it); :mod:`sandbox.engine.shape`
accounts that stability in the plan and evaluates the filter after contribution bounding.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.catalog.dictionary import Classification, ColumnType
from sandbox.engine.columns import ColumnInfo
from sandbox.engine.validation import InvalidQuery

MAX_NODES = 64
"""Most conditions (and/or/not included) in one query's filter."""
MAX_DEPTH = 8
"""Deepest nesting of and/or/not."""
MAX_IN_VALUES = 1000
"""Most constants of one ``in``."""
MAX_TEXT = 1000
"""Longest text constant, in characters."""
MAX_INT = 2**63 - 1

Literal = str | int | float | bool | date | datetime


class FilterOp(enum.StrEnum):
    """The operators of a condition."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    BETWEEN = "between"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


_ORDERING = frozenset({FilterOp.LT, FilterOp.LE, FilterOp.GT, FilterOp.GE, FilterOp.BETWEEN})
_NULL_TESTS = frozenset({FilterOp.IS_NULL, FilterOp.NOT_NULL})
_COMPARE = {
    FilterOp.EQ: pc.equal,
    FilterOp.NE: pc.not_equal,
    FilterOp.LT: pc.less,
    FilterOp.LE: pc.less_equal,
    FilterOp.GT: pc.greater,
    FilterOp.GE: pc.greater_equal,
}
_OPERATORS_TEXT = ", ".join(op.value for op in FilterOp)


@dataclass(frozen=True)
class Condition:
    """One test of one column: ``column op values`` (arity by operator)."""

    column: str
    op: FilterOp
    values: tuple[Literal, ...] = ()
    """One constant (comparisons), several (``in``), two (``between``) or none (null tests)."""
    type: ColumnType = ColumnType.STRING
    """The column's type, which says how the constants are compared."""

    def columns(self) -> frozenset[str]:
        """The columns the condition reads."""
        return frozenset({self.column})

    def to_data(self) -> list[Any]:
        """The canonical wire form (dates as ISO text)."""
        plain = [_plain(v) for v in self.values]
        if self.op in _NULL_TESTS:
            return [self.column, self.op.value]
        if self.op in (FilterOp.IN, FilterOp.BETWEEN):
            return [self.column, self.op.value, plain]
        return [self.column, self.op.value, plain[0]]


@dataclass(frozen=True)
class Junction:
    """``and`` (every part holds) or ``or`` (some part holds)."""

    any_of: bool
    parts: tuple[Filter, ...]

    def columns(self) -> frozenset[str]:
        """The columns the parts read."""
        return frozenset().union(*(part.columns() for part in self.parts))

    def to_data(self) -> dict[str, Any]:
        """The canonical wire form."""
        return {"or" if self.any_of else "and": [part.to_data() for part in self.parts]}


@dataclass(frozen=True)
class Negation:
    """``not``: true where the part is false (unknown stays unknown)."""

    part: Filter

    def columns(self) -> frozenset[str]:
        """The columns the part reads."""
        return self.part.columns()

    def to_data(self) -> dict[str, Any]:
        """The canonical wire form."""
        return {"not": self.part.to_data()}


Filter = Condition | Junction | Negation


def _plain(value: Literal) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def both(first: Filter | None, second: Filter) -> Filter:
    """``first and second`` (flattened, so that conditions added one by one stay one level)."""
    if first is None:
        return second
    parts = first.parts if isinstance(first, Junction) and not first.any_of else (first,)
    return Junction(False, (*parts, second))


def node_count(node: Filter) -> int:
    """Conditions and connectives in ``node``."""
    if isinstance(node, Condition):
        return 1
    if isinstance(node, Negation):
        return 1 + node_count(node.part)
    return 1 + sum(node_count(part) for part in node.parts)


# --- parsing -------------------------------------------------------------------------------


def parse_where(conditions: Sequence[object], columns: Mapping[str, ColumnInfo]) -> Filter:
    """The filter of ``where(*conditions)``: every condition checked (see the module doc)."""
    if not conditions:
        raise InvalidQuery("where() needs at least one condition")
    counter = [0]
    parts = tuple(_parse(item, columns, 1, counter) for item in conditions)
    return parts[0] if len(parts) == 1 else Junction(False, parts)


def _parse(
    item: object, columns: Mapping[str, ColumnInfo], depth: int, counter: list[int]
) -> Filter:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise InvalidQuery(f"where(): a filter may hold at most {MAX_NODES} conditions")
    if depth > MAX_DEPTH:
        raise InvalidQuery(f"where(): and/or/not may nest at most {MAX_DEPTH} levels deep")
    if type(item) is dict:
        if len(item) != 1:
            raise InvalidQuery(
                'where(): a connective is a dict of exactly one key: "and", "or" or "not"'
            )
        ((key, value),) = item.items()
        if key == "not":
            return Negation(_parse(value, columns, depth + 1, counter))
        if key in ("and", "or"):
            if type(value) not in (list, tuple) or not value:
                raise InvalidQuery(f'where(): "{key}" takes a non-empty list of conditions')
            return Junction(
                key == "or", tuple(_parse(part, columns, depth + 1, counter) for part in value)
            )
        raise InvalidQuery('where(): a connective must be "and", "or" or "not"')
    if type(item) not in (list, tuple):
        if callable(item):
            raise InvalidQuery(
                "where(): a filter is data, never a function: give "
                "[column, operator, value] conditions"
            )
        raise InvalidQuery(
            f"where(): a condition is a [column, operator, value] list, not a {type(item).__name__}"
        )
    return _condition(tuple(item), columns)  # type: ignore[arg-type]


def _condition(item: tuple[object, ...], columns: Mapping[str, ColumnInfo]) -> Condition:
    if len(item) not in (2, 3) or type(item[0]) is not str or type(item[1]) is not str:
        raise InvalidQuery(
            "where(): a condition is [column, operator, value] (or "
            "[column, 'is_null'] / [column, 'not_null'])"
        )
    name, op_text = item[0], item[1]
    try:
        op = FilterOp(op_text)
    except ValueError:
        raise InvalidQuery(f"where(): unknown operator; use one of {_OPERATORS_TEXT}") from None
    info = _filter_column(name, columns)
    if op in _NULL_TESTS:
        if len(item) != 2:
            raise InvalidQuery(f"where(): {op.value} on column {name!r} takes no value")
        return Condition(name, op, (), info.type)
    if len(item) != 3:
        raise InvalidQuery(f"where(): {op.value} on column {name!r} needs a value")
    if op in _ORDERING and info.type not in (
        ColumnType.INT64,
        ColumnType.FLOAT64,
        ColumnType.DATE,
        ColumnType.TIMESTAMP,
    ):
        raise InvalidQuery(
            f"where(): column {name!r} is {info.type}: {op.value} applies to "
            "numbers, dates and timestamps only"
        )
    raw = item[2]
    if op is FilterOp.IN:
        if type(raw) not in (list, tuple) or not 1 <= len(raw) <= MAX_IN_VALUES:  # type: ignore[arg-type]
            raise InvalidQuery(
                f"where(): 'in' on column {name!r} takes a list of 1 to {MAX_IN_VALUES} values"
            )
        values = tuple(_literal(v, info) for v in raw)  # type: ignore[attr-defined]
    elif op is FilterOp.BETWEEN:
        if type(raw) not in (list, tuple) or len(raw) != 2:  # type: ignore[arg-type]
            raise InvalidQuery(f"where(): 'between' on column {name!r} takes [lower, upper]")
        values = tuple(_literal(v, info) for v in raw)  # type: ignore[attr-defined]
        if values[0] > values[1]:  # type: ignore[operator]
            raise InvalidQuery(f"where(): 'between' on column {name!r} needs lower <= upper")
    else:
        values = (_literal(raw, info),)
    if op in (FilterOp.EQ, FilterOp.NE, FilterOp.IN) and info.categories is not None:
        declared = set(info.categories)
        if any(v not in declared for v in values):
            raise InvalidQuery(
                f"where(): column {name!r} has public categories: every value "
                f"compared with it must be one of them"
            )
    return Condition(name, op, values, info.type)


def _filter_column(name: str, columns: Mapping[str, ColumnInfo]) -> ColumnInfo:
    info = columns.get(name)
    if info is None:
        raise InvalidQuery(f"where(): the dataset has no column {name!r}")
    if info.classification is Classification.IDENTIFIER:
        raise InvalidQuery(
            f"where(): column {name!r} is an identifier: rows cannot be filtered on it"
        )
    return info


def _literal(value: object, info: ColumnInfo) -> Literal:
    """A constant of the column's type, exact and plain (no subclass, no NaN)."""
    kind, name = info.type, info.name
    if kind in (ColumnType.INT64, ColumnType.FLOAT64):
        if type(value) is int and abs(value) <= MAX_INT:
            return value
        if type(value) is float and math.isfinite(value):
            return value
        raise InvalidQuery(f"where(): column {name!r} is numeric: compare it with a finite number")
    if kind is ColumnType.BOOL:
        if type(value) is not bool:
            raise InvalidQuery(f"where(): column {name!r} is bool: compare it with True or False")
        return value
    if kind is ColumnType.STRING:
        if type(value) is not str or len(value) > MAX_TEXT:
            raise InvalidQuery(
                f"where(): column {name!r} holds text: compare it with a "
                f"text of at most {MAX_TEXT} characters"
            )
        return value
    if type(value) is not str or len(value) > 64:
        raise InvalidQuery(
            f"where(): column {name!r} is a {kind}: compare it with an ISO text such as 2024-01-31"
        )
    try:
        if kind is ColumnType.DATE:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidQuery(
            f"where(): column {name!r} is a {kind}: a value is not an ISO date or time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- evaluation ----------------------------------------------------------------------------


def keep_mask(node: Filter, table: pa.Table) -> pa.Array:
    """Which rows of ``table`` the filter keeps (true only where it is true)."""
    mask = _evaluate(node, table)
    return (
        pc.fill_null(mask, False).combine_chunks()
        if isinstance(mask, pa.ChunkedArray)
        else pc.fill_null(mask, False)
    )


def _evaluate(node: Filter, table: pa.Table) -> pa.ChunkedArray:
    if isinstance(node, Condition):
        column = table[node.column]
        chunks = [_on_chunk(node, chunk) for chunk in column.chunks]
        return pa.chunked_array(chunks, type=pa.bool_())
    if isinstance(node, Negation):
        return pc.invert(_evaluate(node.part, table))
    combine = pc.or_kleene if node.any_of else pc.and_kleene
    result = _evaluate(node.parts[0], table)
    for part in node.parts[1:]:
        result = combine(result, _evaluate(part, table))
    return result


def _on_chunk(condition: Condition, chunk: pa.Array) -> pa.Array:
    """The condition on one chunk; a dictionary chunk is tested on its few values only."""
    if isinstance(chunk, pa.DictionaryArray):
        if condition.op in _NULL_TESTS:  # a null row has a null index, not a null value
            valid = pc.is_valid(chunk.indices)
            return valid if condition.op is FilterOp.NOT_NULL else pc.invert(valid)
        on_values = _on_plain(condition, chunk.dictionary)
        return pc.take(on_values, chunk.indices)
    return _on_plain(condition, chunk)


def _on_plain(condition: Condition, values: pa.Array) -> pa.Array:
    if pa.types.is_floating(values.type):  # NaN is no value: treated as null
        values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
    op = condition.op
    if op is FilterOp.IS_NULL:
        return pc.is_null(values)
    if op is FilterOp.NOT_NULL:
        return pc.is_valid(values)
    if op is FilterOp.IN:
        value_set, values = _value_set(condition, values)
        found = pc.is_in(values, value_set=value_set)
        return pc.if_else(pc.is_valid(values), found, pa.scalar(None, pa.bool_()))
    if op is FilterOp.BETWEEN:
        lower, upper = (_scalar(condition, v, values) for v in condition.values)
        return pc.and_kleene(pc.greater_equal(values, lower), pc.less_equal(values, upper))
    return _COMPARE[op](values, _scalar(condition, condition.values[0], values))


def _scalar(condition: Condition, value: Literal, values: pa.Array) -> pa.Scalar:
    kind = condition.type
    if kind is ColumnType.DATE:
        return pa.scalar(value, pa.date32())
    if kind is ColumnType.TIMESTAMP:
        return pa.scalar(value, values.type)
    if isinstance(value, float) or pa.types.is_floating(values.type):
        return pa.scalar(float(value), pa.float64())  # type: ignore[arg-type]
    if kind is ColumnType.INT64:
        return pa.scalar(value, pa.int64())
    return pa.scalar(value, values.type)


def _value_set(condition: Condition, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """The ``in`` constants as an array comparable with ``values`` (and ``values`` cast to
    float64 when an integer column meets a fractional constant).
    """
    items: Iterable[Any] = condition.values
    kind = condition.type
    if kind is ColumnType.DATE:
        return pa.array(list(items), pa.date32()), values
    if kind is ColumnType.TIMESTAMP:
        return pa.array(list(items), values.type), values
    if kind in (ColumnType.INT64, ColumnType.FLOAT64):
        if pa.types.is_floating(values.type) or any(isinstance(v, float) for v in items):
            return (
                pa.array([float(v) for v in items], pa.float64()),
                pc.cast(values, pa.float64()),
            )
        return pa.array(list(items), pa.int64()), values
    return pa.array(list(items), values.type), values
