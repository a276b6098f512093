"""The row-count rules a result is checked against, every one set.

The job's rules are the strictest of its datasets' effective policies; a rule none of them
sets takes the platform default, so every check below has a number to compare with.
Two thresholds are the platform's own, not the policy's: what makes a part of a result a
table of records (:data:`MANY_RECORDS`, :data:`RECORD_SUPPORT`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.policies.layering import platform_defaults
from sandbox.policies.model import RowCountRules

MANY_RECORDS = 10
"""Entries from which a collection is a table of records rather than a summary: a list or
dict of this many entries that the platform did not compute, or a verified table with this
many cells resting on :data:`RECORD_SUPPORT` units or fewer (making up most of its cells).
Below it a part stays a reviewer's call (``unverifiable``); from it on it is row-level."""
RECORD_SUPPORT = 2
"""Units (or rows) a verified cell rests on at most to describe one or two people, not a
group."""


@dataclass(frozen=True)
class Thresholds:
    """The thresholds of every rule (see :class:`~sandbox.policies.model.RowCountRules`)."""

    min_count: int
    rounding: int
    max_cells: int
    no_row_level: bool
    n: int
    """``dominance_n``: how many largest contributors the n,k rule adds up."""
    k: int
    """``dominance_k``: the most percent of a cell they may hold."""
    p: int
    """``dominance_p``: the least percent of the largest contribution the rest must hold."""
    min_dof: int
    redact: int
    """``redact_at_or_below``: cells resting on this many rows or fewer are redacted."""

    @classmethod
    def of(cls, rules: RowCountRules) -> Thresholds:
        """The thresholds of ``rules``, unset ones taken from the platform defaults."""
        default = platform_defaults().row_count

        def get(name: str) -> Any:
            value = getattr(rules, name)
            return getattr(default, name) if value is None else value

        return cls(
            min_count=get("min_count"),
            rounding=get("rounding"),
            max_cells=get("max_output_cells"),
            no_row_level=get("no_row_level_output"),
            n=get("dominance_n"),
            k=get("dominance_k"),
            p=get("dominance_p"),
            min_dof=get("min_dof"),
            redact=get("redact_at_or_below"),
        )
