"""``row_level`` (when ``no_row_level_output``): no row of the input leaves, named or not.

Fails (blocking) for a text equal to an identifier of the input, or a text or non-integer
number equal to a sensitive value held by fewer than ``max(min_count, 2)`` rows of the
input (:mod:`sandbox.disclosure.inputs`), and for a list of dicts (or a dict of lists)
whose keys hold every column of an input table: a dump of rows. Keys of verified outputs
are only compared with identifiers: a table by a sensitive category is what the cell rules
are for.

A raw-access result is row-level without any identifier too, when it cannot be shown to be
aggregate (the values of the thresholds: :mod:`~.thresholds`):

- **records** (:func:`records_line`): a part the platform did not compute that holds a
  list or dict of :data:`~.thresholds.MANY_RECORDS` entries or more (rows as dicts or
  lists, a column of values, a dict of columns or of records), or a container of verified
  outputs holding that many entries besides them. Only a verified output shows that its
  cells are groups; a collection of many computed entries cannot be told from the rows
  themselves, so it never reaches a reviewer. A small summary stays a reviewer's call
  (``unverifiable``). A DP job's result is post-processing of DP releases: not checked.
- **a table of individuals** (:func:`tiny_cells_line`): a verified table of which most
  cells, and at least ``MANY_RECORDS``, rest on :data:`~.thresholds.RECORD_SUPPORT` rows
  or units or fewer. Redaction blanks those cells' counts but not their keys, which then
  list the people one by one.

Lines name where and how many, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sandbox.disclosure.inputs import Matches
from sandbox.disclosure.labels import child_path, many, where_of
from sandbox.disclosure.model import CheckLine, Rule
from sandbox.disclosure.rules.thresholds import MANY_RECORDS, RECORD_SUPPORT

RULE = Rule.ROW_LEVEL


def key_line(where: str, value: Mapping[str, Any], matches: Matches) -> CheckLine | None:
    """The line of a dict whose own keys equal input values (``None``: none do)."""
    found = sum(1 for key in value if matches.bad(key))
    if not found:
        return None
    return CheckLine(
        RULE,
        where,
        found,
        False,
        True,
        f"{many(found, 'key')} equal to identifiers or rare sensitive values of the input",
    )


def value_lines(
    where: str, value: Any, matches: Matches, tables: Sequence[frozenset[str]]
) -> list[CheckLine]:
    """The lines of a part of a result the platform did not compute: matching values and
    dumps of input rows anywhere in it.
    """
    found: list[CheckLine] = []
    bad = _bad_values(value, matches)
    if bad:
        found.append(
            CheckLine(
                RULE,
                where,
                bad,
                False,
                True,
                f"{many(bad, 'value')} equal to identifiers or rare sensitive values of the input",
            )
        )
    dumps = _row_dumps(value, tables)
    if dumps:
        found.append(
            CheckLine(
                RULE,
                where,
                dumps,
                False,
                True,
                f"{many(dumps, 'row')} holding every column of an input table",
            )
        )
    return found


def identifier_keys(key: tuple[Any, ...], matches: Matches) -> int:
    """How many of a verified cell's key values equal identifiers of the input."""
    return sum(1 for v in key if isinstance(v, str) and v in matches.identifiers)


def identifier_keys_line(where: str, found: int) -> CheckLine:
    """The line of a verified table keyed by ``found`` identifier values."""
    return CheckLine(
        RULE,
        where,
        found,
        False,
        True,
        f"{many(found, 'key value')} equal to identifiers of the input",
    )


def largest_collection(value: Any, path: str, matches: Matches) -> tuple[int, str]:
    """The entries of the largest list or dict in ``value`` (at ``path``), and its path
    (the first found, outermost first; ``0`` and ``path`` when it holds none).
    """
    if not isinstance(value, Mapping | list | tuple):
        return 0, path
    # Breadth first over the collections only; each keeps its parent's index and its step
    # (a dict key or a list index), so only the path of the largest is ever built.
    nodes: list[tuple[Mapping[Any, Any] | list[Any] | tuple[Any, ...], int, Any]] = [
        (value, -1, None)
    ]
    best, best_node = 0, 0
    for index, (item, _, _) in enumerate(nodes):  # the list grows as it is read
        if len(item) > best:
            best, best_node = len(item), index
        steps = item.items() if isinstance(item, Mapping) else enumerate(item)
        nodes.extend(
            (inner, index, step)
            for step, inner in steps
            if isinstance(inner, Mapping | list | tuple)
        )
    trail: list[tuple[Any, bool]] = []
    node = best_node
    while node > 0:
        _, parent, step = nodes[node]
        trail.append((step, isinstance(nodes[parent][0], Mapping)))
        node = parent
    for step, is_key in reversed(trail):
        path = child_path(path, step, matches) if is_key else f"{path}[{step}]"
    return best, path


def records_line(value: Any, path: str, matches: Matches) -> CheckLine | None:
    """The line of a part the platform did not compute that holds a collection of
    :data:`MANY_RECORDS` entries or more (``None``: it holds none).
    """
    entries, at = largest_collection(value, path, matches)
    if entries < MANY_RECORDS:
        return None
    return entries_line(where_of(at), entries)


def entries_line(where: str, entries: int) -> CheckLine:
    """The line of a collection of ``entries`` the platform did not compute."""
    return CheckLine(
        RULE,
        where,
        entries,
        False,
        True,
        f"{many(entries, 'entry', 'entries')} the platform did not compute: "
        "rows cannot be told from a summary; return tables through "
        "ctx.crosstab, whose cells are checked",
    )


def tiny_cells_line(where: str, tiny: int, cells: int) -> CheckLine | None:
    """The line of a verified table of ``cells`` of which ``tiny`` rest on
    :data:`RECORD_SUPPORT` rows or units or fewer (``None``: a table of groups).
    """
    if tiny < MANY_RECORDS or 2 * tiny <= cells:
        return None
    return CheckLine(
        RULE,
        where,
        tiny,
        False,
        True,
        f"{tiny} of {many(cells, 'cell')} rest on {RECORD_SUPPORT} rows or "
        "units or fewer: the table lists individuals, not groups (redaction "
        "would blank their counts, not their keys)",
    )


def _bad_values(value: Any, matches: Matches) -> int:
    found = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            found += sum(1 for key in item if matches.bad(key))
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif matches.bad(item):
            found += 1
    return found


def _row_dumps(value: Any, tables: Sequence[frozenset[str]]) -> int:
    """Rows of an input table the value holds: dicts in a list (or a dict of lists) whose
    keys cover every column of a table of at least two columns.
    """
    tables = [columns for columns in tables if len(columns) >= 2]
    if not tables:
        return 0

    def covers(keys: Iterable[Any]) -> bool:
        names = {key for key in keys if isinstance(key, str)}
        return any(columns <= names for columns in tables)

    found = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if covers(item) and any(isinstance(v, list | tuple) for v in item.values()):
                found += 1
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            found += sum(1 for x in item if isinstance(x, Mapping) and covers(x))
            stack.extend(item)
    return found
