"""How the check report names the places it checked, without quoting a data value.

A line's ``where`` is an output path (``by_district``), with a cell's key values in
brackets (``by_district[district=North]``). A key or a label equal to an identifier or a
rare sensitive value of the input shows as :data:`WITHHELD`; a long one is cut.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sandbox.disclosure.inputs import Matches

WITHHELD = "<withheld>"
"""Shown in place of a key or label that equals an identifier or a rare sensitive value."""
_LABEL_CHARS = 40


def label(value: Any, matches: Matches) -> str:
    """A key value as shown in a report: withheld when it matches the input, else cut short."""
    if matches.bad(value):
        return WITHHELD
    text = (
        "null"
        if value is None
        else json.dumps(value)
        if isinstance(value, bool)
        else (value if isinstance(value, str) else str(value))
    )
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS] + "..."


def child_path(path: str, key: Any, matches: Matches) -> str:
    """The path of a dict's item under ``path``."""
    shown = label(key, matches)
    return shown if not path else f"{path}.{shown}"


def where_of(path: str) -> str:
    """A path as a report's ``where`` (the empty path is the whole ``result``)."""
    return path or "result"


def cell_where(
    path: str, key_columns: Sequence[str], key: tuple[Any, ...], matches: Matches
) -> str:
    """The ``where`` of one cell of a verified table at ``path``."""
    where = where_of(path)
    if not key:
        return f"{where}[all rows]"
    labels = ", ".join(
        f"{column}={label(value, matches)}" for column, value in zip(key_columns, key, strict=True)
    )
    return f"{where}[{labels}]"


def many(count: int, noun: str, plural: str | None = None) -> str:
    """``1 cell``, ``2 cells`` (``1 entry``, ``2 entries`` with ``plural``)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural}" if plural is not None else f"{count} {noun}s"
