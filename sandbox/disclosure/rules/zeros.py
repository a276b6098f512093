"""``zeros``: the combinations of key values a verified table does not list (not blocking).

A crosstab lists only the combinations of key values present in its rows, so a reader
infers a zero for every other combination of the values it shows. A structural zero (a
cell no one can be in) discloses nothing; a sampling zero can: when nobody in a group has
some value, the table tells every member of the group that they share the others (class,
or group attribute, disclosure). ACRO checks zeros by default (``zeros_are_disclosive``) and
leaves the decision to a human output checker, because no rule can tell the two kinds
apart. So here each zero cell fails *without blocking*: it forbids automatic release and
the reviewer, who knows which combinations cannot occur, judges it. Blocking would refuse
every table with a structural zero and leave the researcher no remedy but coarser keys.

The zero cells are the combinations of each key column's values shown in the table that
it does not list. A table is released in long form (one row per cell), so its ``rows`` and
``cols`` keys make no difference here. A zero cell is named by its key labels only: every
one of them is a key value the table itself shows (and a label equal to an identifier or a
rare sensitive value of the input is withheld, as everywhere). The first ``limit`` zero
cells get a line each, in key order; one more line counts the rest. A table of at least two
key columns with no zero cell gets one passing line, so the reviewer sees it was checked.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Any

from sandbox.disclosure.inputs import Matches
from sandbox.disclosure.labels import cell_where, many, where_of
from sandbox.disclosure.model import CheckLine, Rule
from sandbox.disclosure.verified.outputs import VerifiedTable

RULE = Rule.ZEROS

NOTE = (
    "no row has this combination of key values shown in the table: a reviewer must "
    "judge whether the zero is structural, or tells each member of a group a value "
    "they share"
)


def _shown_values(keys: Sequence[tuple[Any, ...]], position: int) -> list[Any]:
    """The distinct values of one key column, in the table's order (nulls last)."""
    distinct = {key[position] for key in keys}
    return sorted(distinct, key=lambda value: (value is None, 0 if value is None else value))


def _absent(keys: Sequence[tuple[Any, ...]]) -> tuple[int, Iterator[tuple[Any, ...]]]:
    """How many combinations of the shown key values are absent, and those combinations
    in key order (lazily: a table of a few cells over fine keys has very many).
    """
    width = len(keys[0])
    columns = [_shown_values(keys, position) for position in range(width)]
    present = set(keys)
    total = math.prod(len(values) for values in columns) - len(present)
    return total, (key for key in itertools.product(*columns) if key not in present)


def zeros_lines(path: str, table: VerifiedTable, matches: Matches, limit: int) -> list[CheckLine]:
    """The lines of a verified table's zero cells (none for a table of one key column)."""
    if len(table.key_columns) < 2 or not table.keys:
        return []
    where = where_of(path)
    total, absent = _absent(table.keys)
    if not total:
        return [
            CheckLine(
                RULE,
                where,
                0,
                True,
                False,
                f"every combination of the {len(table.key_columns)} key columns' "
                "values shown is listed: no zero cells",
            )
        ]
    lines = [
        CheckLine(RULE, cell_where(path, table.key_columns, key, matches), 0, False, False, NOTE)
        for key in itertools.islice(absent, limit)
    ]
    rest = total - len(lines)
    if rest > 0:
        lines.append(
            CheckLine(
                RULE,
                where,
                rest,
                False,
                False,
                f"{many(rest, 'more zero cell')} like the {len(lines)} above (not listed)",
            )
        )
    return lines
