"""Derived columns of a DP query: bins, coarser categories and date parts, with public values.

Each derived column is a function of one stored column of the same row, and its possible
values are fixed by its definition, never read from the data. So it serves as a group key
without partition selection, and every group it defines is released (noisy), empty or not:

- ``bin``: a numeric column into public edges ``[e0, e1, ..., en]``: bins ``[e0, e1)``, ...,
  ``[e(n-1), en]`` (the last one closed), labelled ``"[0, 18)"`` unless ``labels`` are given;
  a null, NaN or a value outside ``[e0, en]`` is in no bin.
- ``map``: a text column onto coarser categories, ``{"North": "N", "South": "S", ...}``; on
  a column with declared categories every key must be one of them; a value the mapping does
  not name goes to ``default`` if one is given, else into no category.
- ``date_part``: ``year`` (with the public range ``years=[first, last]``), ``quarter`` (1-4),
  ``month`` (1-12) or ``weekday`` (ISO: Monday 1 to Sunday 7) of a date or timestamp column
  (timestamps in UTC); a null, or a year outside the range, is in no category.

A row whose derived value is in no category belongs to no group of a key on it (as a row
whose declared key holds an undeclared value). Over the wire a derived column is a dict,
``{"kind": "bin", "column": "age", "edges": [0, 18, 65, 120], "name": "age_bin"}``; the
default name is the column's with ``_bin``, ``_group`` or ``_<part>`` appended.

Privacy: a row-by-row map is 1-stable; :mod:`sandbox.engine.shape` accounts it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.catalog.dictionary import COLUMN_NAME, MAX_CATEGORIES, Classification, ColumnType
from sandbox.engine.columns import ColumnInfo
from sandbox.engine.validation import RESERVED_OUTPUT_NAMES, InvalidQuery, bin_edges

MAX_LABEL = 100
"""Longest label of a bin or a mapped category, in characters."""
MAX_YEARS = 1000
"""Most years of a ``year`` date part."""
FEW_EDGES = 17
"""Up to this many edges, bins are found by one comparison per edge (vectorised)."""


class DerivedKind(enum.StrEnum):
    """How a derived column is computed."""

    BIN = "bin"
    MAP = "map"
    DATE_PART = "date_part"


class DatePart(enum.StrEnum):
    """The parts of a date a ``date_part`` column can take."""

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"
    WEEKDAY = "weekday"


_SUFFIX = {DerivedKind.BIN: "bin", DerivedKind.MAP: "group"}
_FIXED_PARTS = {
    DatePart.QUARTER: range(1, 5),
    DatePart.MONTH: range(1, 13),
    DatePart.WEEKDAY: range(1, 8),
}


@dataclass(frozen=True)
class Binned:
    """A numeric column in public bins."""

    name: str
    source: str
    edges: tuple[float, ...]
    labels: tuple[str, ...]
    kind = DerivedKind.BIN

    @property
    def categories(self) -> tuple[str, ...]:
        """The labels of the bins, in order."""
        return self.labels

    @property
    def type(self) -> ColumnType:
        """Labels are text."""
        return ColumnType.STRING

    def evaluate(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """The bin label of each row (dictionary-encoded; null: in no bin)."""
        values = np.asarray(
            pc.cast(column, pa.float64()).combine_chunks().to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
        edges = np.asarray(self.edges, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            inside = (values >= edges[0]) & (values <= edges[-1])  # NaN and null: False
            if len(edges) <= FEW_EDGES:  # a pass per inner edge beats a binary search
                index = np.zeros(len(values), dtype=np.int32)
                for edge in edges[1:-1]:
                    index += values >= edge
            else:  # the last edge belongs to the last bin
                index = np.minimum(
                    np.searchsorted(edges, values, side="right") - 1, len(edges) - 2
                ).astype(np.int32)
        return _encoded(index, inside, pa.array(self.labels, pa.string()))

    def to_data(self) -> dict[str, Any]:
        """The canonical wire form."""
        return {
            "kind": self.kind.value,
            "column": self.source,
            "name": self.name,
            "edges": list(self.edges),
            "labels": list(self.labels),
        }


@dataclass(frozen=True)
class Mapped:
    """A text column mapped onto coarser public categories."""

    name: str
    source: str
    keys: tuple[str, ...]
    targets: tuple[str, ...]
    """The category of each key (same order as ``keys``)."""
    default: str | None = None
    kind = DerivedKind.MAP

    @property
    def categories(self) -> tuple[str, ...]:
        """The target categories in first-mention order (the default last)."""
        seen = dict.fromkeys(self.targets)
        if self.default is not None:
            seen.setdefault(self.default)
        return tuple(seen)

    @property
    def type(self) -> ColumnType:
        """Categories are text."""
        return ColumnType.STRING

    def evaluate(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """The category of each row (dictionary-encoded; null: in no category)."""
        categories = self.categories
        position = {c: i for i, c in enumerate(categories)}
        target_of_key = np.asarray([position[t] for t in self.targets], dtype=np.int64)
        fallback = -1 if self.default is None else position[self.default]
        key_set = pa.array(self.keys, pa.string())
        dictionary = pa.array(categories, pa.string())

        def codes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
            found = pc.index_in(values, value_set=key_set)
            at = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
            code = np.where(at >= 0, target_of_key[np.maximum(at, 0)], fallback)
            valid = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
            return code, valid & (code >= 0)

        chunks = []
        for chunk in column.chunks:
            if isinstance(chunk, pa.DictionaryArray):  # map the few values, not every row
                code, valid = codes(chunk.dictionary)
                indices = np.asarray(
                    pc.fill_null(chunk.indices, 0).to_numpy(zero_copy_only=False), dtype=np.int64
                )
                row_valid = np.asarray(
                    pc.is_valid(chunk.indices).to_numpy(zero_copy_only=False), dtype=bool
                )
                if len(code):
                    chunks.append(
                        _encoded_array(code[indices], row_valid & valid[indices], dictionary)
                    )
                else:
                    chunks.append(
                        _encoded_array(
                            np.zeros(len(chunk), np.int64), np.zeros(len(chunk), bool), dictionary
                        )
                    )
            else:
                code, valid = codes(chunk)
                chunks.append(_encoded_array(code, valid, dictionary))
        return pa.chunked_array(chunks, type=pa.dictionary(pa.int32(), pa.string()))

    def to_data(self) -> dict[str, Any]:
        """The canonical wire form."""
        return {
            "kind": self.kind.value,
            "column": self.source,
            "name": self.name,
            "mapping": dict(zip(self.keys, self.targets, strict=True)),
            "default": self.default,
        }


@dataclass(frozen=True)
class DateParted:
    """A part of a date or timestamp column."""

    name: str
    source: str
    part: DatePart
    years: tuple[int, int] | None = None
    """First and last year of a ``year`` part."""
    kind = DerivedKind.DATE_PART

    @property
    def categories(self) -> tuple[int, ...]:
        """The possible values, in order."""
        if self.part is DatePart.YEAR:
            assert self.years is not None
            return tuple(range(self.years[0], self.years[1] + 1))
        return tuple(_FIXED_PARTS[self.part])

    @property
    def type(self) -> ColumnType:
        """Parts are integers."""
        return ColumnType.INT64

    def evaluate(self, column: pa.ChunkedArray) -> pa.ChunkedArray:
        """The part of each row's date (dictionary-encoded; null: in no category)."""
        if self.part is DatePart.WEEKDAY:
            raw = pc.day_of_week(column, count_from_zero=False, week_start=1)
        else:
            raw = getattr(pc, self.part.value)(column)
        values = np.asarray(
            pc.fill_null(raw, -1).combine_chunks().to_numpy(zero_copy_only=False), dtype=np.int64
        )
        categories = self.categories
        first, last = categories[0], categories[-1]
        valid = np.asarray(
            pc.is_valid(raw).combine_chunks().to_numpy(zero_copy_only=False), dtype=bool
        )
        valid &= (values >= first) & (values <= last)
        return _encoded(values - first, valid, pa.array(categories, pa.int64()))

    def to_data(self) -> dict[str, Any]:
        """The canonical wire form."""
        return {
            "kind": self.kind.value,
            "column": self.source,
            "name": self.name,
            "part": self.part.value,
            "years": list(self.years) if self.years is not None else None,
        }


Derived = Binned | Mapped | DateParted


def _encoded_array(
    index: np.ndarray, valid: np.ndarray, dictionary: pa.Array
) -> pa.DictionaryArray:
    if valid.all():
        indices = pa.array(index.astype(np.int32, copy=False))
    else:
        indices = pa.array(np.where(valid, index, 0).astype(np.int32), mask=~valid)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def _encoded(index: np.ndarray, valid: np.ndarray, dictionary: pa.Array) -> pa.ChunkedArray:
    return pa.chunked_array([_encoded_array(index, valid, dictionary)])


def info_of(derived: Derived, source: ColumnInfo) -> ColumnInfo:
    """What a query may know of a derived column: its type and public categories."""
    return ColumnInfo(
        derived.name, derived.type, source.classification, tuple(derived.categories), derived=True
    )


# --- parsing -------------------------------------------------------------------------------


def parse_derived(spec: object, columns: Mapping[str, ColumnInfo]) -> Derived:
    """A derived column from its wire form, checked against the query's ``columns``."""
    if type(spec) is not dict:
        raise InvalidQuery("a derived column is a dict with 'kind' and 'column'")
    fields: dict[str, Any] = dict(spec)
    raw_kind = fields.get("kind")
    try:
        if type(raw_kind) is not str:
            raise ValueError
        kind = DerivedKind(raw_kind)
    except ValueError:
        raise InvalidQuery("a derived column's kind must be one of: bin, map, date_part") from None
    allowed = {"kind", "column", "name"} | {
        DerivedKind.BIN: {"edges", "labels"},
        DerivedKind.MAP: {"mapping", "default"},
        DerivedKind.DATE_PART: {"part", "years"},
    }[kind]
    if set(fields) - allowed:
        raise InvalidQuery(f"{kind}(): unknown field(s); it takes {', '.join(sorted(allowed))}")
    source = _source(kind, fields.get("column"), columns)
    if kind is DerivedKind.DATE_PART:
        part = _part(fields.get("part"))
        name = _name(kind, fields.get("name"), f"{source.name}_{part.value}", columns)
        return _date_part(name, source, part, fields.get("years"))
    name = _name(kind, fields.get("name"), f"{source.name}_{_SUFFIX[kind]}", columns)
    if kind is DerivedKind.BIN:
        return _bin(name, source, fields.get("edges"), fields.get("labels"))
    return _map(name, source, fields.get("mapping"), fields.get("default"))


def _source(kind: DerivedKind, column: object, columns: Mapping[str, ColumnInfo]) -> ColumnInfo:
    if type(column) is not str:
        raise InvalidQuery(f"{kind}(): the column must be a column name (a string)")
    info = columns.get(column)
    if info is None:
        raise InvalidQuery(f"{kind}(): the dataset has no column {column!r}")
    if info.derived:
        raise InvalidQuery(f"{kind}(): column {column!r} is derived: derive from a stored column")
    if info.classification is Classification.IDENTIFIER:
        raise InvalidQuery(
            f"{kind}(): column {column!r} is an identifier: nothing may be derived from it"
        )
    expected = {
        DerivedKind.BIN: (ColumnType.INT64, ColumnType.FLOAT64),
        DerivedKind.MAP: (ColumnType.STRING,),
        DerivedKind.DATE_PART: (ColumnType.DATE, ColumnType.TIMESTAMP),
    }[kind]
    if info.type not in expected:
        raise InvalidQuery(
            f"{kind}(): column {column!r} is {info.type}; {kind} takes "
            f"{' or '.join(t.value for t in expected)} columns"
        )
    return info


def _name(kind: DerivedKind, name: object, default: str, taken: Collection[str]) -> str:
    text = default if name is None else name
    if type(text) is not str or not COLUMN_NAME.match(text):
        raise InvalidQuery(
            f"{kind}(): name must be a letter or '_' followed by up to 62 letters, digits or '_'"
        )
    if text in taken:
        raise InvalidQuery(f"{kind}(): a column named {text!r} exists already; give another name=")
    if text in RESERVED_OUTPUT_NAMES:
        raise InvalidQuery(f"{kind}(): name {text!r} clashes with an output column name")
    return text


def _label(value: object, what: str) -> str:
    if type(value) is not str or not 1 <= len(value) <= MAX_LABEL:
        raise InvalidQuery(f"{what} must be texts of 1 to {MAX_LABEL} characters")
    return value


def _edge_text(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() and abs(edge) < 1e15 else repr(edge)


def _bin(name: str, source: ColumnInfo, edges: object, labels: object) -> Binned:
    if type(edges) not in (list, tuple):
        raise InvalidQuery("bin(): edges must be a list of public bin edges")
    cut = bin_edges(edges, None, None)
    count = len(cut) - 1
    if labels is None:
        texts = tuple(
            f"[{_edge_text(a)}, {_edge_text(b)}" + ("]" if i == count - 1 else ")")
            for i, (a, b) in enumerate(zip(cut, cut[1:], strict=False))
        )
    else:
        if type(labels) not in (list, tuple) or len(labels) != count:  # type: ignore[arg-type]
            raise InvalidQuery(f"bin(): labels must name each of the {count} bins")
        texts = tuple(_label(v, "bin(): labels") for v in labels)  # type: ignore[attr-defined]
        if len(set(texts)) != count:
            raise InvalidQuery("bin(): labels repeat a label")
    return Binned(name, source.name, cut, texts)


def _map(name: str, source: ColumnInfo, mapping: object, default: object) -> Mapped:
    if type(mapping) is not dict or not 1 <= len(mapping) <= MAX_CATEGORIES:
        raise InvalidQuery(
            f"map(): mapping must be a dict of 1 to {MAX_CATEGORIES} "
            "categories to their coarser category"
        )
    keys = tuple(_label(k, "map(): the mapped categories") for k in mapping)
    targets = tuple(_label(v, "map(): the coarser categories") for v in mapping.values())
    if source.categories is not None:
        declared = set(source.categories)
        if any(k not in declared for k in keys):
            raise InvalidQuery(
                f"map(): column {source.name!r} has declared categories: "
                "every mapped category must be one of them"
            )
    fallback = None if default is None else _label(default, "map(): default")
    return Mapped(name, source.name, keys, targets, fallback)


def _part(value: object) -> DatePart:
    try:
        if type(value) is not str:
            raise ValueError
        return DatePart(value)
    except ValueError:
        raise InvalidQuery(
            "date_part(): part must be one of: year, quarter, month, weekday"
        ) from None


def _date_part(name: str, source: ColumnInfo, part: DatePart, years: object) -> DateParted:
    if part is not DatePart.YEAR:
        if years is not None:
            raise InvalidQuery("date_part(): years= applies to the year part only")
        return DateParted(name, source.name, part)
    if (
        type(years) not in (list, tuple)
        or len(years) != 2  # type: ignore[arg-type]
        or not all(type(y) is int for y in years)  # type: ignore[attr-defined]
    ):
        raise InvalidQuery(
            "date_part(): the year part needs the public range years=[first, last] (integers)"
        )
    first, last = int(years[0]), int(years[1])  # type: ignore[index]
    if not 1 <= first <= last <= 9999 or last - first >= MAX_YEARS:
        raise InvalidQuery(
            f"date_part(): years must satisfy 1 <= first <= last <= 9999, at most {MAX_YEARS} years"
        )
    return DateParted(name, source.name, part, (first, last))
