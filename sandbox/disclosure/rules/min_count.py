"""``min_count``: a cell resting on fewer than the policy's minimum fails (blocking).

With a privacy unit a cell rests on its rows or its distinct units, whichever is fewer.
The cells that pass are summarised in one line per output, its statistic the weakest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.disclosure.labels import many
from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.MIN_COUNT


@dataclass
class MinCount:
    """The rule applied to the cells of one output."""

    minimum: int
    basis: str
    """What a cell rests on: ``rows``, or ``rows or units (the fewer)``."""
    passing: list[int] = field(default_factory=list)

    @staticmethod
    def basis_of(unit: str | None) -> str:
        """What a cell rests on, for a table counted per ``unit`` (or per row)."""
        return "rows" if unit is None else "rows or units (the fewer)"

    def cell(self, where: str, support: int) -> CheckLine | None:
        """The line of a failing cell (``None``: it passes and counts in the summary)."""
        if support < self.minimum:
            return CheckLine(
                RULE,
                where,
                support,
                False,
                True,
                f"rests on {support} {self.basis}; the policy asks at least {self.minimum}",
            )
        self.passing.append(support)
        return None

    def summary(self, where: str) -> CheckLine | None:
        """One line for the passing cells of the output (``None``: none passed)."""
        if not self.passing:
            return None
        return CheckLine(
            RULE,
            where,
            min(self.passing),
            True,
            True,
            f"{many(len(self.passing), 'cell')} resting on at least {self.minimum} {self.basis}",
        )
