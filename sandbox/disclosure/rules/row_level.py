"""``row_level`` (when the policy says ``no_row_level_output``): no row of the input leaves.

Fails (blocking) for a text equal to an identifier of the input, or a text or non-integer
number equal to a sensitive value held by fewer than ``max(min_count, 2)`` rows of the
input (:mod:`sandbox.disclosure.inputs`), and for a list of dicts (or a dict of lists)
whose keys hold every column of an input table: a dump of rows. Keys of verified outputs
are only compared with identifiers: a table by a sensitive category is what the cell rules
are for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sandbox.disclosure.inputs import Matches
from sandbox.disclosure.labels import many
from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.ROW_LEVEL


def key_line(where: str, value: Mapping[str, Any], matches: Matches) -> CheckLine | None:
    """The line of a dict whose own keys equal input values (``None``: none do)."""
    found = sum(1 for key in value if matches.bad(key))
    if not found:
        return None
    return CheckLine(RULE, where, found, False, True,
                     f"{many(found, 'key')} equal to identifiers or rare sensitive values of "
                     "the input")


def value_lines(where: str, value: Any, matches: Matches,
                tables: Sequence[frozenset[str]]) -> list[CheckLine]:
    """The lines of a part of a result the platform did not compute: matching values and
    dumps of input rows anywhere in it.
    """
    found: list[CheckLine] = []
    bad = _bad_values(value, matches)
    if bad:
        found.append(CheckLine(RULE, where, bad, False, True,
                               f"{many(bad, 'value')} equal to identifiers or rare sensitive "
                               "values of the input"))
    dumps = _row_dumps(value, tables)
    if dumps:
        found.append(CheckLine(RULE, where, dumps, False, True,
                               f"{many(dumps, 'row')} holding every column of an input table"))
    return found


def identifier_keys(key: tuple[Any, ...], matches: Matches) -> int:
    """How many of a verified cell's key values equal identifiers of the input."""
    return sum(1 for v in key if isinstance(v, str) and v in matches.identifiers)


def identifier_keys_line(where: str, found: int) -> CheckLine:
    """The line of a verified table keyed by ``found`` identifier values."""
    return CheckLine(RULE, where, found, False, True,
                     f"{many(found, 'key value')} equal to identifiers of the input")


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
