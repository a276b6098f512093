"""Row-count rules applied to a DP output table of groups (pure functions, no I/O).

Given the groups of an output (key, noisy count, other noisy values), in this order:

1. **Suppression.** A group whose noisy count is below ``max(suppression_threshold,
   min_count)`` is dropped, as is a group whose count is not a finite number. Only
   noisy counts are compared, so suppression is post-processing of the DP release.
2. **Rounding.** Each released count is rounded to the nearest multiple of ``rounding``
   (half to even; ``rounding`` 1 rounds to whole numbers).
3. **Output size.** An output of more than ``max_output_cells`` cells is refused with
   :class:`OutputTooLarge`. A cell is one released statistic: each released group holds
   its count plus one cell per other value.

The :class:`RowCountReport` records every action per group. Its lines name the rule, the
group key and the action, never a value: not a suppressed group's count or values, and
not the unrounded count of a rounded one. Every released group gets a rounding line, so
the report does not tell which counts already were multiples.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import InvalidRequest, SandboxInternalError
from sandbox.policies.model import RowCountRules


class OutputTooLarge(InvalidRequest):
    """An output would hold more cells than the policy's ``max_output_cells``."""

    code = "output_too_large"

    def __init__(self, *, cells: int, limit: int) -> None:
        super().__init__(
            f"the output would hold {cells} cells; the policy allows at most "
            f"{limit} (row_count.max_output_cells)"
        )
        self.cells = cells
        self.limit = limit


@dataclass(frozen=True)
class GroupRow:
    """One group of a DP output table."""

    key: tuple[Any, ...]
    """The group's key values, one per grouping column (empty for an ungrouped output)."""
    count: float
    """The group's noisy count."""
    values: Mapping[str, float] = field(default_factory=dict)
    """The group's other noisy statistics, by name (e.g. ``{"income_mean": 41230.5}``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.key, tuple):
            raise InvalidRequest("a group's key must be a tuple of key values")
        if type(self.count) not in (int, float):
            raise InvalidRequest("a group's count must be a number")
        if not isinstance(self.values, Mapping):
            raise InvalidRequest("a group's values must be a mapping of names to numbers")

    @property
    def cells(self) -> int:
        """The statistics this group holds: its count and each other value."""
        return 1 + len(self.values)


class RowAction(enum.StrEnum):
    """What a rule did to a group."""

    SUPPRESSED = "suppressed"
    ROUNDED = "rounded"


@dataclass(frozen=True)
class ReportLine:
    """One action on one group; it never holds a value of the group."""

    rule: str
    """The rule that acted: ``suppression_threshold``, ``min_count``, ``non_finite_count`` or
    ``rounding``."""
    group: tuple[Any, ...]
    """The group's key."""
    action: RowAction
    """What happened to the group."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "group": list(self.group), "action": self.action.value}


@dataclass(frozen=True)
class RowCountReport:
    """What the row-count rules did to one output."""

    lines: tuple[ReportLine, ...]
    """Each action on each group, in the output's order."""
    groups_in: int
    """Groups in the output before the rules."""
    released: int
    """Groups released."""
    suppressed: int
    """Groups suppressed."""
    threshold: int
    """The suppression threshold applied: ``max(suppression_threshold, min_count)``."""
    rounding: int
    """Counts were rounded to multiples of this."""
    cells: int
    """Cells in the released output."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored beside the result."""
        return {
            "groups_in": self.groups_in,
            "released": self.released,
            "suppressed": self.suppressed,
            "threshold": self.threshold,
            "rounding": self.rounding,
            "cells": self.cells,
            "lines": [line.to_dict() for line in self.lines],
        }


@dataclass(frozen=True)
class RowCountResult:
    """The released groups and the report of what the rules did."""

    rows: tuple[GroupRow, ...]
    report: RowCountReport


def _required(rules: RowCountRules, name: str) -> int:
    value = getattr(rules, name)
    if value is None:
        raise SandboxInternalError(
            f"row-count rules without {name}: pass the effective policy's rules"
        )
    assert isinstance(value, int)
    return value


def round_to_multiple(count: float, multiple: int) -> float:
    """``count`` rounded to the nearest multiple of ``multiple`` (half to even)."""
    return float(multiple * round(count / multiple))


def apply_row_count_rules(rows: Sequence[GroupRow], rules: RowCountRules) -> RowCountResult:
    """Suppress, round and size-check a DP output table (see the module doc).

    Args:
        rows: The output's groups with their noisy counts and values.
        rules: The effective policy's row-count rules (every field used must be set).

    Returns:
        The released groups, in input order, and the report.

    Raises:
        OutputTooLarge: The released output would exceed ``max_output_cells``.
    """
    min_count = _required(rules, "min_count")
    threshold_setting = _required(rules, "suppression_threshold")
    rounding = _required(rules, "rounding")
    max_cells = _required(rules, "max_output_cells")
    threshold = max(threshold_setting, min_count)
    threshold_rule = "suppression_threshold" if threshold_setting >= min_count else "min_count"

    lines: list[ReportLine] = []
    released: list[GroupRow] = []
    suppressed = 0
    for row in rows:
        if not isinstance(row, GroupRow):
            raise InvalidRequest("row-count rules apply to GroupRow values only")
        if not math.isfinite(row.count):
            lines.append(ReportLine("non_finite_count", row.key, RowAction.SUPPRESSED))
            suppressed += 1
        elif row.count < threshold:
            lines.append(ReportLine(threshold_rule, row.key, RowAction.SUPPRESSED))
            suppressed += 1
        else:
            released.append(
                GroupRow(row.key, round_to_multiple(row.count, rounding), dict(row.values))
            )
            lines.append(ReportLine("rounding", row.key, RowAction.ROUNDED))
    cells = sum(row.cells for row in released)
    if cells > max_cells:
        raise OutputTooLarge(cells=cells, limit=max_cells)
    report = RowCountReport(
        lines=tuple(lines),
        groups_in=len(rows),
        released=len(released),
        suppressed=suppressed,
        threshold=threshold,
        rounding=rounding,
        cells=cells,
    )
    return RowCountResult(tuple(released), report)
