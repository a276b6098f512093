"""What a partial-aggregate scan computes, and what it yields per group.

A :class:`PartialPlan` says what to compute: group keys (with the declared values a row must
have, if any), optional numeric bins, optional statistics of one numeric column (quantised
sums, sums of squares, per-candidate counts for quantiles), and the query's row-level shape
(derived columns and a filter, :mod:`sandbox.engine.shape`). Each fragment yields a small
``{group key tuple: GroupStats}`` (:data:`Partial`). The plan is frozen and hashable: the
memo of exact aggregates keys on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.engine.derived import Derived
from sandbox.engine.filters import Filter
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.shape import source_columns

BIN = "#bin"
UNITS = "#units"
SQUARES = "#squares"
CODE = "#code"
KEEP = "#keep"
"""Internal column names; a data column can never be named like this (see COLUMN_NAME)."""

GroupKey = tuple[Any, ...]


@dataclass(frozen=True)
class Fragment:
    """A unit of parallel work: one Parquet file, or some of its row groups."""

    path: str
    row_groups: tuple[int, ...] | None = None
    """Row groups to read; ``None`` reads the whole file."""


@dataclass(frozen=True)
class KeySpec:
    """One group-key column and, if declared, the only values a row may have there."""

    column: str
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class BinSpec:
    """Numeric bins: values are clamped to ``[edges[0], edges[-1]]`` and binned."""

    column: str
    edges: tuple[float, ...]

    @property
    def count(self) -> int:
        """Number of bins."""
        return len(self.edges) - 1


@dataclass(frozen=True)
class ValueSpec:
    """Statistics of one numeric column: rows without a usable value are left out."""

    column: str
    grid: Grid
    moments: int = 0
    """0: count values only; 1: plus the quantised sum; 2: plus the sum of squares."""
    candidates: tuple[float, ...] | None = None
    """Quantile candidates (ascending): count values below / equal to each."""


@dataclass(frozen=True)
class PartialPlan:
    """What to compute per group of one fragment."""

    keys: tuple[KeySpec, ...] = ()
    bins: BinSpec | None = None
    value: ValueSpec | None = None
    derived: tuple[Derived, ...] = ()
    """Derived columns the keys or the filter name, computed first."""
    where: Filter | None = None
    """Rows it does not keep are aggregated into no group."""

    def file_columns(self) -> list[str]:
        """The stored columns the plan reads from a fragment."""
        computed = {d.name for d in self.derived}
        names = [name for name in self.columns() if name not in computed]
        for name in source_columns(self.derived, self.where):
            if name not in names:
                names.append(name)
        return names

    def columns(self) -> list[str]:
        """The columns the aggregation reads (derived ones included, once computed)."""
        names = [k.column for k in self.keys]
        for extra in (
            self.bins.column if self.bins else None,
            self.value.column if self.value else None,
        ):
            if extra is not None and extra not in names:
                names.append(extra)
        return names

    @property
    def group_columns(self) -> list[str]:
        """Columns of the group key tuple, in order (keys, then the bin index)."""
        return [k.column for k in self.keys] + ([BIN] if self.bins else [])


@dataclass
class GroupStats:
    """Exact statistics of one group."""

    rows: int = 0
    """Rows in the group (after key filters; with bins, rows with a usable value)."""
    values: int = 0
    """Rows with a usable value of the value column."""
    units: int = 0
    """Sum of quantised values (grid units)."""
    squares: int = 0
    """Sum of quantised squares (square grid units)."""
    codes: dict[int, int] = field(default_factory=dict)
    """Quantile codes: ``2k`` = strictly between candidates k-1 and k, ``2k+1`` = equal to k."""

    def add(self, other: GroupStats) -> None:
        """Add another fragment's statistics of the same group."""
        self.rows += other.rows
        self.values += other.values
        self.units += other.units
        self.squares += other.squares
        for code, count in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count

    def below_equal(self, candidates: int) -> tuple[list[int], list[int]]:
        """For each candidate: how many values are strictly below it, and equal to it."""
        below, equal = [], []
        running = 0
        for k in range(candidates):
            running += self.codes.get(2 * k, 0)
            below.append(running)
            here = self.codes.get(2 * k + 1, 0)
            equal.append(here)
            running += here
        return below, equal

    def quantile_scores(self, candidates: int, alpha: tuple[int, int]) -> list[int]:
        """Scores of each candidate as the ``a/b``-quantile (lower is better).

        ``|(b - a) * #below - a * #above|``, as OpenDP's ``make_quantile_score_candidates``
        computes them: adding or removing one value moves every score by at most
        ``max(a, b - a)``, the per-row L-infinity sensitivity.
        """
        a, b = alpha
        below, equal = self.below_equal(candidates)
        return [
            abs((b - a) * lo - a * (self.values - lo - eq))
            for lo, eq in zip(below, equal, strict=True)
        ]


Partial = dict[GroupKey, GroupStats]
