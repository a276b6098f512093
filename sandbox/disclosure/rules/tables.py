"""``table``: a table part of a result (a DataFrame or Arrow table the model returned).

The sandbox encodes it (:mod:`sandbox.runtime.result_parts`); here, on the trusted side, its
form is checked from scratch: a schema of named columns of the types a part may carry, the
column names equal to the schema's and unique, every row a list of one value per column of
the column's type. A malformed table blocks the release (its line says what is wrong, never
a value).

A well-formed table is then checked as the rows it holds (as records, one dict per row) are
checked today (:mod:`sandbox.disclosure.checks`): in a raw-access job it is a table the
platform did not compute, so ``unverifiable`` (a reviewer must look) and, under
``no_row_level_output``, ``row_level``: identifiers and rare sensitive values of the input,
dumps of input rows, and :data:`~.thresholds.MANY_RECORDS` rows or more (a table of records).
A table the platform computed (``ctx.crosstab``, also as a DataFrame) keeps its ``sdc_output``
form and its cell checks. A DP job's table is post-processing of its DP releases; still, like
a figure, it is never released automatically: its ``table`` line fails without blocking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.disclosure.labels import many
from sandbox.disclosure.model import CheckLine, Rule
from sandbox.runtime.result_parts import PART, TABLE, TABLE_TYPES

__all__ = [
    "TableRefused",
    "checked_table",
    "malformed_line",
    "records_of",
    "reviewed_line",
    "unverified_why",
]

RULE = Rule.TABLE


class TableRefused(ValueError):
    """A table part is not of the table form; the message says why."""


def _type_ok(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if "int" in kind:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("double", "float", "halffloat"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "null":
        return False
    return isinstance(value, str)  # text, dates and times (ISO text)


def _kind_ok(kind: object) -> bool:
    return isinstance(kind, str) and (
        kind in TABLE_TYPES
        or (kind.startswith(("timestamp[", "date64", "time32[", "time64[")) and len(kind) <= 60)
    )


def checked_table(part: Mapping[str, Any]) -> dict[str, Any]:
    """The table part, its form checked (see the module docstring).

    Raises:
        TableRefused: It is not of the table form.
    """
    if set(part) != {PART, "schema", "columns", "rows"} or part.get(PART) != TABLE:
        raise TableRefused("the part is not of the table form (schema, columns, rows)")
    schema, columns, rows = part["schema"], part["columns"], part["rows"]
    if not isinstance(schema, list) or not all(
        isinstance(f, Mapping) and set(f) == {"name", "type"} for f in schema
    ):
        raise TableRefused("its schema is not a list of columns with a name and a type")
    names = [f["name"] for f in schema]
    if not all(isinstance(n, str) and 0 < len(n) <= 200 for n in names):
        raise TableRefused("a column's name is not text of 1 to 200 characters")
    if len(set(names)) != len(names) or columns != names:
        raise TableRefused("its column names repeat, or differ from its schema's")
    kinds = [f["type"] for f in schema]
    if not all(_kind_ok(k) for k in kinds):
        raise TableRefused("a column is of a type a table may not hold")
    if not isinstance(rows, list) or not all(
        isinstance(r, list) and len(r) == len(names) for r in rows
    ):
        raise TableRefused("its rows are not lists of one value per column")
    for row in rows:
        for kind, value in zip(kinds, row, strict=True):
            if not _type_ok(kind, value):
                raise TableRefused("a value is not of its column's type")
    return {PART: TABLE, "schema": list(schema), "columns": list(names), "rows": rows}


def records_of(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The table's rows as records, which the row checks read as they read any result."""
    columns = table["columns"]
    return [dict(zip(columns, row, strict=True)) for row in table["rows"]]


def unverified_why(table: Mapping[str, Any]) -> str:
    """The ``unverifiable`` note of a table the model computed."""
    rows = many(len(table["rows"]), "row")
    return (
        f"a table the model computed ({rows}, {many(len(table['columns']), 'column')}): "
        "the platform cannot verify it; a reviewer must check it"
    )


def reviewed_line(where: str, table: Mapping[str, Any]) -> CheckLine:
    """The non-blocking line of a DP job's table: post-processing of its DP releases, but a
    table the model built is never released without a person (like a figure).
    """
    return CheckLine(
        RULE,
        where,
        len(table["rows"]),
        False,
        False,
        f"a table the model built from its DP releases ({many(len(table['rows']), 'row')}): "
        "tables are never released automatically; a reviewer must check it",
    )


def malformed_line(where: str, problem: str) -> CheckLine:
    """The blocking line of a table part that is not of the table form."""
    return CheckLine(RULE, where, None, False, True, f"table refused: {problem}")
