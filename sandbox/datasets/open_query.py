"""Queries of unconditional data by API: columns, filters, sorting and a stable cursor.

Unconditional data is open to everyone (Wuxi art. 14; Qingdao art. 13, 15: data service
interfaces for "query"), so a query may select columns, filter rows by comparisons, ``in``
lists, ranges and null tests, and sort; nothing here is a privacy control. What it must be
is exact and predictable: a filter value is read as its column's type (a bad one is a clear
error naming the column), and paging is stable: the sort is stable over the file's own row
order, and a cursor pins the version and the query it was issued for, so page two of a
query is page two of the same rows even after a new version is registered.

Filters are written ``column:op:value`` (``age:ge:65``, ``district:in:north,south``,
``age:between:18,64``, ``income:null``); sorting ``age,-income`` (``-`` descending).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from sandbox.errors import InvalidRequest

__all__ = [
    "MAX_FILTERS",
    "OPERATORS",
    "Filter",
    "OpenQuery",
    "SortKey",
    "decode_cursor",
    "encode_cursor",
    "parse_query",
]

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "between", "null", "notnull")
"""Filter operators; several filters are joined by *and*."""
MAX_FILTERS = 20
MAX_IN_VALUES = 1000
_COMPARE = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal"}
_COMPARE |= {"gt": "greater", "ge": "greater_equal"}


@dataclass(frozen=True)
class Filter:
    """One condition on one column, its values still as written (typed at :meth:`bind`)."""

    column: str
    op: str
    values: tuple[str, ...] = ()

    def text(self) -> str:
        """The filter as written, for the audit trail and the cursor's fingerprint."""
        if self.op in ("null", "notnull"):
            return f"{self.column}:{self.op}"
        return f"{self.column}:{self.op}:{','.join(self.values)}"

    def bind(self, schema: pa.Schema) -> pc.Expression:
        """The filter as an Arrow expression over ``schema``."""
        field = _field(schema, self.column, "filter")
        column = pc.field(self.column)
        if self.op == "null":
            return column.is_null()
        if self.op == "notnull":
            return column.is_valid()
        typed = [_typed(field, value) for value in self.values]
        if self.op == "in":
            return column.isin(pa.array(typed, type=field.type))
        if self.op == "between":
            low, high = typed
            return (column >= pa.scalar(low, field.type)) & (column <= pa.scalar(high, field.type))
        compare = getattr(pc, _COMPARE[self.op])
        expression: pc.Expression = compare(column, pa.scalar(typed[0], field.type))
        return expression


@dataclass(frozen=True)
class SortKey:
    """Sort by one column; ties keep the file's row order."""

    column: str
    descending: bool = False

    def text(self) -> str:
        """The key as written (``-income``)."""
        return f"-{self.column}" if self.descending else self.column


@dataclass(frozen=True)
class OpenQuery:
    """Columns to return (``None``: all), filters joined by *and*, sort keys in order."""

    columns: tuple[str, ...] | None = None
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()

    @property
    def is_plain(self) -> bool:
        """No filter and no sort: a page can be read from its row groups alone."""
        return not self.filters and not self.sort

    def needed_columns(self, schema: pa.Schema) -> list[str]:
        """Every column the query reads, checked against ``schema`` (file order)."""
        wanted = set(self.columns) if self.columns is not None else set(schema.names)
        for name in self.columns or ():
            _field(schema, name, "column")
        for key in self.sort:
            field = _field(schema, key.column, "sort")
            if pa.types.is_nested(field.type):
                raise InvalidRequest(f"sort column {key.column!r} is a nested type")
            wanted.add(key.column)
        wanted |= {f.column for f in self.filters}
        return [name for name in schema.names if name in wanted]

    def expression(self, schema: pa.Schema) -> pc.Expression | None:
        """The filters as one expression (``None``: no filter)."""
        combined: pc.Expression | None = None
        for condition in self.filters:
            bound = condition.bind(schema)
            combined = bound if combined is None else combined & bound
        return combined

    def fingerprint(self) -> str:
        """What a cursor is tied to: the query's columns, filters and sort."""
        parts = {
            "columns": list(self.columns) if self.columns is not None else None,
            "filters": [f.text() for f in self.filters],
            "sort": [k.text() for k in self.sort],
        }
        canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def described(self) -> dict[str, Any]:
        """The query as the audit trail records it (the caller's own words, no data)."""
        return {
            "columns": list(self.columns) if self.columns is not None else None,
            "filters": [f.text() for f in self.filters],
            "sort": [k.text() for k in self.sort],
        }


def parse_query(
    columns: str | None = None, filters: list[str] | None = None, sort: str | None = None
) -> OpenQuery:
    """Read a query from its query-string parts (see the module docstring)."""
    chosen = None
    if columns is not None:
        names = [name.strip() for name in columns.split(",")]
        if not names or any(not name for name in names):
            raise InvalidRequest("columns must be column names separated by commas")
        if len(set(names)) != len(names):
            raise InvalidRequest("columns names a column twice")
        chosen = tuple(names)
    written = filters or []
    if len(written) > MAX_FILTERS:
        raise InvalidRequest(f"a query takes at most {MAX_FILTERS} filters")
    keys: list[SortKey] = []
    for part in (sort or "").split(",") if sort is not None else []:
        name = part.strip()
        descending = name.startswith("-")
        name = name[1:].strip() if descending else name
        if not name:
            raise InvalidRequest("sort must be column names separated by commas, '-' descending")
        keys.append(SortKey(name, descending))
    if len({k.column for k in keys}) != len(keys):
        raise InvalidRequest("sort names a column twice")
    return OpenQuery(chosen, tuple(_parse_filter(text) for text in written), tuple(keys))


def _parse_filter(text: str) -> Filter:
    column, sep, rest = text.partition(":")
    op, _, value = rest.partition(":")
    if not sep or not column or op not in OPERATORS:
        raise InvalidRequest(
            f"filter {text!r} must be column:op:value with op one of {', '.join(OPERATORS)}"
        )
    if op in ("null", "notnull"):
        if value:
            raise InvalidRequest(f"filter {text!r}: {op} takes no value")
        return Filter(column, op)
    if op == "in":
        values = _in_values(text, value)
    elif op == "between":
        values = tuple(v.strip() for v in value.split(","))
        if len(values) != 2:
            raise InvalidRequest(f"filter {text!r}: between takes two values, low,high")
    else:
        values = (value,)
    if any(v == "" for v in values) and op != "eq" and op != "ne":
        raise InvalidRequest(f"filter {text!r} has an empty value")
    return Filter(column, op, values)


def _in_values(text: str, value: str) -> tuple[str, ...]:
    """``a,b,c``, or a JSON list of strings when a value holds a comma."""
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            raise InvalidRequest(f"filter {text!r}: a JSON list of in-values must hold strings")
        values = tuple(parsed)
    else:
        values = tuple(v.strip() for v in value.split(","))
    if not values or len(values) > MAX_IN_VALUES:
        raise InvalidRequest(f"filter {text!r}: in takes 1 to {MAX_IN_VALUES} values")
    return values


def _field(schema: pa.Schema, name: str, role: str) -> pa.Field:
    index = schema.get_field_index(name)
    if index < 0:
        raise InvalidRequest(
            f"{role} {name!r} is not a column of this dataset; it has: {', '.join(schema.names)}"
        )
    return schema.field(index)


def _typed(field: pa.Field, value: str) -> Any:
    """A filter value read as its column's type; the error names the column and the type."""
    kind = field.type
    try:
        if pa.types.is_boolean(kind):
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        if pa.types.is_integer(kind):
            return int(value)
        if pa.types.is_floating(kind):
            return float(value)
        if pa.types.is_decimal(kind):
            return Decimal(value)
        if pa.types.is_date(kind):
            return date.fromisoformat(value)
        if pa.types.is_timestamp(kind):
            return datetime.fromisoformat(value)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return value
    except (ValueError, InvalidOperation):
        raise InvalidRequest(
            f"filter value {value!r} of column {field.name!r} is not a valid {kind}"
        ) from None
    raise InvalidRequest(f"column {field.name!r} ({kind}) cannot be filtered")


def encode_cursor(version: int, offset: int, query: OpenQuery) -> str:
    """An opaque token for the next page: the version, the offset and the query it is for."""
    payload = json.dumps({"v": version, "o": offset, "q": query.fingerprint()})
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str, query: OpenQuery) -> tuple[int, int]:
    """(version, offset) of a cursor issued for ``query``; anything else is refused."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        version, offset, fingerprint = int(data["v"]), int(data["o"]), str(data["q"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidRequest("cursor is not one this endpoint issued") from None
    if fingerprint != query.fingerprint():
        raise InvalidRequest("cursor belongs to another query (columns, filters or sort)")
    if version < 1 or offset < 0:
        raise InvalidRequest("cursor is not one this endpoint issued")
    return version, offset
