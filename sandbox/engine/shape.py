"""The row-level shape of a DP query: its derived columns and its filter, and their stability.

A handle's ``where``, ``bin``, ``map`` and ``date_part`` calls only build a :class:`Shape`
(nothing is read). When a release runs, the shape is evaluated inside the partial-aggregate
scan (:mod:`sandbox.engine.partials`, in the Ray tasks, one fragment at a time, with
pyarrow), in this order on every fragment:

1. the fragment is a part of the *contribution-bounded* copy of the version
   (:mod:`sandbox.engine.bounding`): each privacy unit has at most ``c`` rows in all;
2. the derived columns are computed from the row's own stored values;
3. the filter decides, row by row, whether the row is kept; rows it drops are routed to a
   discarded group rather than removed, so the scan does the same work however many match;
4. the kept rows are aggregated per group.

Why filter *after* bounding: bounding is per privacy unit across all groups and is done once
per version (kept on disk), whatever the query; a row-level transformation applied after it
can only drop or relabel a unit's bounded rows, never add any, so every unit still
contributes at most ``c`` rows and the bound the measurements are calibrated for stays
valid. (Bounding after a filter would also be valid but needs a bounded copy per filter;
bounding *per group* or skipping it for "filtered" data would not be valid: the audit in
``tests/engine/test_audit_shape.py`` catches that.) The cost is utility, not privacy: a unit
with more than ``c`` rows may have rows that match the filter bounded away.

Stability is accounted, not assumed: :func:`sandbox.engine.stability.stability_steps`
walks the query's transformations and applies each one's stability map to the distance in
rows (a row filter and each row-by-row map are 1-stable; the map is the one OpenDP gives for
the matching transformation), and the plan calibrates every measurement at the distance
that comes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from sandbox.catalog.dictionary import ColumnSpec, DataDictionary
from sandbox.engine.columns import ColumnInfo, dictionary_columns
from sandbox.engine.derived import Derived, info_of, parse_derived
from sandbox.engine.filters import MAX_NODES, Filter, both, keep_mask, node_count, parse_where
from sandbox.engine.validation import MAX_KEYS, InvalidQuery, column_name, key_column_allowed

MAX_DERIVED = 8
"""Most derived columns one query may define."""

KeyColumn = ColumnSpec | Derived
"""A group key: a stored column or a derived one."""


@dataclass(frozen=True)
class Shape:
    """Derived columns and a filter (all row-level; see the module docstring)."""

    derived: tuple[Derived, ...] = ()
    where: Filter | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the query reads the rows as they are."""
        return not self.derived and self.where is None

    def columns(self, dictionary: DataDictionary) -> dict[str, ColumnInfo]:
        """What the query may name: the stored columns and the derived ones."""
        columns = dictionary_columns(dictionary)
        for derived in self.derived:
            columns[derived.name] = info_of(derived, columns[derived.source])
        return columns

    def derive(self, spec: object, dictionary: DataDictionary) -> Shape:
        """This shape with one more derived column (its wire form, checked)."""
        if len(self.derived) >= MAX_DERIVED:
            raise InvalidQuery(f"a query may derive at most {MAX_DERIVED} columns")
        derived = parse_derived(spec, self.columns(dictionary))
        return Shape((*self.derived, derived), self.where)

    def filtered(self, conditions: Sequence[object], dictionary: DataDictionary) -> Shape:
        """This shape with ``conditions`` added to the filter (all must hold)."""
        added = parse_where(conditions, self.columns(dictionary))
        combined = both(self.where, added)
        if node_count(combined) > MAX_NODES:
            raise InvalidQuery(f"where(): a filter may hold at most {MAX_NODES} conditions")
        return Shape(self.derived, combined)

    def key_columns(self, dictionary: DataDictionary, keys: object) -> tuple[KeyColumn, ...]:
        """Group keys: stored categorical columns or derived ones, each named once."""
        if type(keys) is str:
            names: list[object] = [keys]
        elif type(keys) in (list, tuple):
            names = list(keys)  # type: ignore[call-overload]
        else:
            raise InvalidQuery("group keys must be a column name or a list of column names")
        if not names:
            raise InvalidQuery("group_by needs at least one key column")
        if len(names) > MAX_KEYS:
            raise InvalidQuery(f"group_by takes at most {MAX_KEYS} key columns")
        derived = {d.name: d for d in self.derived}
        found: list[KeyColumn] = []
        for name in names:
            text = column_name(name, "a group key")
            if any(k.name == text for k in found):
                raise InvalidQuery(f"group key {text!r} is named twice")
            if text in derived:
                found.append(derived[text])
                continue
            spec = dictionary.by_name.get(text)
            if spec is None:
                raise InvalidQuery(f"the dataset has no column {text!r}")
            key_column_allowed(spec)
            found.append(spec)
        return tuple(found)

    def needed_for(self, keys: Sequence[KeyColumn]) -> Shape:
        """The part of the shape a query on ``keys`` needs (unused derived columns dropped,
        so equal queries share memoised aggregates).
        """
        wanted = {k.name for k in keys}
        if self.where is not None:
            wanted |= self.where.columns()
        return Shape(tuple(d for d in self.derived if d.name in wanted), self.where)

    def describe(self) -> dict[str, Any]:
        """The shape as plain data (for the release report)."""
        return {
            "derived": [d.to_data() for d in self.derived],
            "where": self.where.to_data() if self.where is not None else None,
        }


def source_columns(derived: Sequence[Derived], where: Filter | None) -> list[str]:
    """The stored columns the derived columns and the filter read (in a stable order)."""
    names = {d.name for d in derived}
    out = [d.source for d in derived]
    if where is not None:
        out += sorted(c for c in where.columns() if c not in names)
    return list(dict.fromkeys(out))


def apply_shape(
    table: pa.Table, derived: Sequence[Derived], where: Filter | None
) -> tuple[pa.Table, pa.Array | None]:
    """``table`` with the derived columns added, and the filter's keep mask (or ``None``)."""
    for column in derived:
        table = table.append_column(column.name, column.evaluate(table[column.source]))
    return table, (keep_mask(where, table) if where is not None else None)
