"""The row-count rules a result is checked against, every one set.

The job's rules are the strictest of its datasets' effective policies; a rule none of them
sets takes the platform default, so every check below has a number to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.policies.layering import platform_defaults
from sandbox.policies.model import RowCountRules


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

        return cls(min_count=get("min_count"), rounding=get("rounding"),
                   max_cells=get("max_output_cells"), no_row_level=get("no_row_level_output"),
                   n=get("dominance_n"), k=get("dominance_k"), p=get("dominance_p"),
                   min_dof=get("min_dof"), redact=get("redact_at_or_below"))
