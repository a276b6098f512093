"""``redaction``: the platform blanks a cell resting on very few rows instead of failing it.

A cell resting on ``redact_at_or_below`` rows (or units) or fewer has its count and value
replaced by ``null``; the line records it (passed, not blocking), and the released output
says ``redacted_at_or_below``. The other cell rules skip a redacted cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.disclosure.model import CheckLine, Rule

RULE = Rule.REDACTION


@dataclass
class Redaction:
    """The rule applied to the cells of one output."""

    at_or_below: int
    redacted: int = 0
    """Cells redacted so far."""

    def applies(self, support: int) -> bool:
        """Whether a cell resting on ``support`` rows or units is redacted."""
        return support <= self.at_or_below

    def cell(self, where: str, row: list[object], first_statistic: int) -> CheckLine:
        """Blank the statistics of ``row`` (from ``first_statistic`` on) and record it."""
        self.redacted += 1
        for index in range(first_statistic, len(row)):
            row[index] = None
        return CheckLine(
            RULE,
            where,
            self.at_or_below,
            True,
            False,
            f"count at or below {self.at_or_below}: count and value redacted by the platform",
        )
