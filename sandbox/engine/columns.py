"""What a query may know of a column before reading any row: its type, class and public values.

Filters and group keys are checked against these facts, which come from the data dictionary
(a stored column) or from a derived column's definition (its categories are public by
construction). Nothing here is read from the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.catalog.dictionary import Classification, ColumnType, DataDictionary


@dataclass(frozen=True)
class ColumnInfo:
    """The public facts of one column a query may name."""

    name: str
    type: ColumnType
    """The logical type of its values."""
    classification: Classification
    """How disclosive the column is (derived columns take their source's)."""
    categories: tuple[Any, ...] | None = None
    """Its public values: declared categories, both booleans, or a derived column's."""
    derived: bool = False
    """Whether the column is computed by the query rather than stored."""


def dictionary_columns(dictionary: DataDictionary) -> dict[str, ColumnInfo]:
    """The stored columns, by name."""
    out: dict[str, ColumnInfo] = {}
    for spec in dictionary.columns:
        categories: tuple[Any, ...] | None = spec.categories
        if spec.type is ColumnType.BOOL:
            categories = (False, True)
        out[spec.name] = ColumnInfo(spec.name, spec.type, spec.classification, categories)
    return out


def with_columns(
    base: Mapping[str, ColumnInfo], extra: Mapping[str, ColumnInfo]
) -> dict[str, ColumnInfo]:
    """``base`` and ``extra`` together (names never clash: derived names are checked)."""
    return {**base, **extra}
