"""The disclosure check report: one line per rule applied, and its verdict.

A line names the rule, where it applied (an output path and cell, such as
``by_district[district=North]``, or ``result``), the value of the statistic checked (a
count, a share in percent, degrees of freedom, a byte size) and whether it passed. It never
holds a data value: not an identifier, not a contribution, not a cell's underlying values.

A failed *blocking* line blocks the release outright. A failed non-blocking line (a value
the platform cannot verify, a differencing flag, a zero cell) forbids automatic release and
is shown to the human reviewer.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Statistic = float | int | str | None
"""The value of a checked statistic (never a data value)."""


class Rule(enum.StrEnum):
    """The rules a check line can name (one module each in :mod:`sandbox.disclosure.rules`)."""

    MIN_COUNT = "min_count"
    DOMINANCE_NK = "dominance_nk"
    DOMINANCE_P = "dominance_p"
    MIN_DOF = "min_dof"
    ROW_LEVEL = "row_level"
    DIFFERENCING = "differencing"
    MAX_CELLS = "max_cells"
    MAX_BYTES = "max_bytes"
    UNVERIFIABLE = "unverifiable"
    REDACTION = "redaction"
    ROUNDING = "rounding"
    ZEROS = "zeros"
    DP = "dp"
    FIGURE = "figure"
    TABLE = "table"


@dataclass(frozen=True)
class CheckLine:
    """One rule applied to one place of a result."""

    rule: Rule
    where: str
    """The output path and cell, e.g. ``by_district[district=North]``, or ``result``."""
    statistic: Statistic
    """The value of the statistic checked (a count, a share in percent, ...)."""
    passed: bool
    blocking: bool
    """Whether a failure blocks the release (else it only forbids automatic release)."""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule.value,
            "where": self.where,
            "statistic": self.statistic,
            "passed": self.passed,
            "blocking": self.blocking,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckLine:
        """The line of :meth:`to_dict`'s form.

        Raises:
            ValueError: The mapping is not of that form (a missing field, an unknown rule,
                a field of the wrong type).
        """
        try:
            rule, where, statistic = Rule(data["rule"]), data["where"], data["statistic"]
            passed, blocking, note = data["passed"], data["blocking"], data["note"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a check line is malformed: {type(exc).__name__}") from None
        if statistic is not None and not isinstance(statistic, int | float | str):
            raise ValueError("a check line's statistic must be a number, text or null")
        if (
            not isinstance(where, str)
            or not isinstance(note, str)
            or not isinstance(passed, bool)
            or not isinstance(blocking, bool)
        ):
            raise ValueError("a check line is malformed")
        return cls(
            rule=rule, where=where, statistic=statistic, passed=passed, blocking=blocking, note=note
        )

    @property
    def failed(self) -> bool:
        """Whether the rule failed here."""
        return not self.passed


@dataclass(frozen=True)
class CheckReport:
    """Every check line of one result."""

    lines: tuple[CheckLine, ...] = ()

    @property
    def blocked(self) -> bool:
        """Whether a blocking rule failed: the result cannot be released."""
        return any(line.failed and line.blocking for line in self.lines)

    @property
    def auto_releasable(self) -> bool:
        """Whether every line passed (the result may be released without a human)."""
        return all(line.passed for line in self.lines)

    def failed(self) -> list[CheckLine]:
        """The lines that failed."""
        return [line for line in self.lines if line.failed]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored with the job."""
        failed = self.failed()
        return {
            "blocked": self.blocked,
            "auto_releasable": self.auto_releasable,
            "failed": len(failed),
            "failed_rules": sorted({line.rule.value for line in failed}),
            "lines": [line.to_dict() for line in self.lines],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckReport:
        """The report of :meth:`to_dict`'s form (the verdicts are recomputed).

        Raises:
            ValueError: The mapping is not of that form.
        """
        lines = data.get("lines") if isinstance(data, Mapping) else None
        if not isinstance(lines, list | tuple) or not all(
            isinstance(line, Mapping) for line in lines
        ):
            raise ValueError("a check report must hold a list of lines")
        return cls(tuple(CheckLine.from_dict(line) for line in lines))
