"""Joint releases: ``agg([...])`` plans several statistics of one grouping together.

A model asking for the count, sum and mean of a column per group used to make three
releases, each with its own share of the budget and its own noisy count: the mean was
bought again from scratch. ``agg`` plans the statistics together, draws each measurement
once, derives every statistic from them by post-processing, and is charged the composition
once (the sum of its measurements' charges, which is the epsilon asked for).

The measurement (pure DP or zCDP): for a value column clamped to ``[lower, upper]`` and
quantised on the grid of :mod:`sandbox.engine.fixedpoint` (units ``u``, ``u_lo <= u <=
u_hi``, span ``D = u_hi - u_lo``), each group releases the two one-sided sums

    ``S+ = sum(u - u_lo)``  and  ``S- = sum(u_hi - u)``,

one integer vector noised once by OpenDP (:attr:`~sandbox.engine.report.Part.SIDES`).
Every row adds exactly ``D`` to ``S+ + S-``, so ``count = (S+ + S-) / D``, the sum is
``S+`` shifted by ``lower * count`` and the mean is ``lower + (upper - lower) * S+ / (S+ +
S-)``: a separate noisy count is not needed. Sensitivity: a privacy unit adds or removes at
most ``c`` rows (``c`` = the plan's row distance after bounding, derived columns and the
filter), each moving the vector by exactly ``D`` in L1 norm (at most ``D`` in L2): so the
L1 and the L2 sensitivity are both ``c * D``, which the measurement is calibrated at.

Why not one noisy count and one noisy (centred) sum, each with half the budget, as
PipelineDP and OpenDP do? Under pure DP the two sides cost the same epsilon as that pair
and carry the same information, but each of the count, the sum and the centred sum comes
out with half the noise variance: a row's change lies on the segment from ``(D, 0)`` to
``(0, D)``, whose every point has the same L1 norm, so no part of the budget is spent on a
change that cannot happen (a count of +1 with a centred sum of 0 and one of +D/2 are both
charged in full by the pair). Under zCDP (Gaussian noise, L2 geometry) the two are
equivalent. This is the plain Laplace (Gaussian) mechanism on an integer vector; its
privacy is OpenDP's map at the sensitivity above.

Variance adds the sum of centred squares (:attr:`~sandbox.engine.report.Part.SQUARES`,
sensitivity ``c * max_square_units``) with half the budget; the variance is then
``E[(x - offset)^2] - (mean - offset)^2`` from the released sides and squares. With group
keys that need partition selection, a quarter of the budget selects the groups (their noisy
counts are the released counts) and the rest is split as above. A count alone is one noisy
count, as :meth:`count` releases it.

``count`` in an ``agg`` with a column counts that column's usable values (SQL's
``COUNT(column)``), the denominator of its mean; the count of rows is ``count()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pyarrow as pa

from sandbox.engine.fixedpoint import Grid
from sandbox.engine.measurements import Calibrated, integer_noise, partition_selection
from sandbox.engine.partial_plan import GroupStats
from sandbox.engine.report import Operation, Part
from sandbox.engine.validation import InvalidQuery
from sandbox.policies.budget import Accounting

STATISTICS = (Operation.COUNT, Operation.SUM, Operation.MEAN, Operation.VARIANCE)
"""What an ``agg`` may release, in the order its output lists them."""
VALUE_STATISTICS = frozenset({Operation.SUM, Operation.MEAN, Operation.VARIANCE})
"""The statistics of a value column (they need ``column=`` and bounds)."""
SELECTION_SHARE = Fraction(1, 4)
"""Budget share of partition selection when the keys are not all public."""

_NAMES = ", ".join(s.value for s in STATISTICS)


def statistics_of(value: object) -> tuple[Operation, ...]:
    """An ``agg``'s statistics: a non-empty list (or tuple) of distinct names, each one of
    ``count``, ``sum``, ``mean`` and ``variance``; returned in the order given.
    """
    if type(value) not in (list, tuple):
        raise InvalidQuery(f"agg(): statistics must be a list of names from {_NAMES}")
    items: Sequence[object] = value  # type: ignore[assignment]
    if not items:
        raise InvalidQuery(f"agg(): name at least one statistic ({_NAMES})")
    by_name = {s.value: s for s in STATISTICS}
    found: list[Operation] = []
    for item in items:
        if type(item) is not str or item not in by_name:
            raise InvalidQuery(f"agg(): each statistic must be one of {_NAMES}")
        if by_name[item] in found:
            raise InvalidQuery("agg(): each statistic may be named once")
        found.append(by_name[item])
    return tuple(found)


def value_statistics(statistics: Sequence[Operation]) -> tuple[Operation, ...]:
    """The statistics other than the count (the count is always released)."""
    return tuple(s for s in statistics if s in VALUE_STATISTICS)


def shares_of(statistics: Sequence[Operation], selection: bool) -> dict[Part, Fraction]:
    """How an ``agg``'s budget is split between its measurements (see the module doc)."""
    values = value_statistics(statistics)
    if not values:
        return {Part.COUNT: Fraction(1)}
    shares: dict[Part, Fraction] = {}
    rest = Fraction(1)
    if selection:
        shares[Part.COUNT] = SELECTION_SHARE
        rest -= SELECTION_SHARE
    if Operation.VARIANCE in values:
        shares[Part.SIDES] = rest / 2
        shares[Part.SQUARES] = rest / 2
    else:
        shares[Part.SIDES] = rest
    return shares


@dataclass(frozen=True)
class Span:
    """Where ``[lower, upper]`` lies on a grid, in units: ``low <= u <= high`` for every
    clamped value's units ``u``.
    """

    grid: Grid
    low: int
    high: int

    @classmethod
    def of(cls, grid: Grid) -> Span:
        """The span of a grid's bounds, quantised by the grid's own code (so a value's units
        can never fall outside it).
        """
        units, _ = grid.quantise(pa.array([grid.lower, grid.upper], pa.float64()))
        low, high = (int(u) for u in units.to_pylist())
        return cls(grid, low, high)

    @property
    def width(self) -> int:
        """``D``: what every row adds to ``S+ + S-``, and the per-row L1 sensitivity."""
        return self.high - self.low

    @property
    def lower_value(self) -> float:
        """The quantised lower bound, ``(low + offset_units) * step`` (exact)."""
        return float(self.low + self.grid.offset_units) * self.grid.step

    def sides(self, stats: GroupStats) -> tuple[int, int]:
        """``(S+, S-)`` of a group, exactly, from its value count and units sum."""
        return stats.units - stats.values * self.low, stats.values * self.high - stats.units


def plan_parts(
    accounting: Accounting,
    distance: int,
    budget: Fraction,
    statistics: Sequence[Operation],
    grid: Grid | None,
    selection: bool,
    delta: Fraction | None,
) -> dict[Part, Calibrated]:
    """The calibrated measurements of an ``agg`` (see the module doc).

    ``distance`` is the most rows one privacy unit changes in the aggregated rows;
    ``budget`` is the query's epsilon (pure) or rho (zCDP); ``grid`` the value column's
    centred grid, ``None`` without value statistics.
    """
    shares = shares_of(statistics, selection)
    parts: dict[Part, Calibrated] = {}
    if selection:
        assert delta is not None
        parts[Part.COUNT] = partition_selection(
            accounting, distance, budget * shares[Part.COUNT], delta
        )
    elif Part.COUNT in shares:
        parts[Part.COUNT] = integer_noise(accounting, distance, budget * shares[Part.COUNT])
    if Part.SIDES in shares:
        assert grid is not None
        span = Span.of(grid)
        if span.width < 1:
            raise InvalidQuery(
                "agg(): lower and upper are too close together: they must "
                "differ by more than the fixed-point grid's step"
            )
        parts[Part.SIDES] = integer_noise(
            accounting, distance * span.width, budget * shares[Part.SIDES]
        )
    if Part.SQUARES in shares:
        assert grid is not None
        parts[Part.SQUARES] = integer_noise(
            accounting, distance * grid.max_square_units, budget * shares[Part.SQUARES]
        )
    return parts


@dataclass(frozen=True)
class JointValues:
    """An ``agg``'s released counts and statistics per group, before the row-count rules."""

    counts: list[int]
    values: list[dict[str, float]]


def joint_values(
    parts: dict[Part, Calibrated],
    grid: Grid,
    statistics: Sequence[Operation],
    stats: Sequence[GroupStats],
    selected: Sequence[int] | None,
) -> JointValues:
    """Noise the sides (and squares) of every group once and derive the statistics.

    ``selected`` are the counts partition selection released (then they are the counts);
    ``None`` for public keys, whose counts are derived from the sides.
    """
    span = Span.of(grid)
    flat: list[int] = []
    for group in stats:
        flat.extend(span.sides(group))
    noisy = [int(v) for v in parts[Part.SIDES](flat)] if flat else []
    wanted = value_statistics(statistics)
    squares: list[int] = []
    if Operation.VARIANCE in wanted and stats:
        squares = [int(v) for v in parts[Part.SQUARES]([s.squares for s in stats])]
    width, step = span.width, grid.step
    half = (grid.upper - grid.lower) / 2.0
    counts: list[int] = []
    values: list[dict[str, float]] = []
    for index in range(len(stats)):
        plus, minus = noisy[2 * index], noisy[2 * index + 1]
        estimated = (plus + minus) / width
        counts.append(int(selected[index]) if selected is not None else round(estimated))
        total = max(plus + minus, width)  # at least one row's worth: a defined ratio
        share = min(max(plus, 0), total) / total
        mean = _clamp(span.lower_value + step * width * share, grid.lower, grid.upper)
        out: dict[str, float] = {}
        if Operation.SUM in wanted:
            out[Operation.SUM.value] = step * plus + estimated * span.lower_value
        if Operation.MEAN in wanted:
            out[Operation.MEAN.value] = mean
        if Operation.VARIANCE in wanted:
            rows = total / width
            centred = mean - grid.offset
            variance = grid.square_value_of(squares[index]) / rows - centred * centred
            out[Operation.VARIANCE.value] = _clamp(variance, 0.0, half * half)
        values.append(out)
    return JointValues(counts, values)


def _clamp(value: float, lower: float, upper: float) -> float:
    return min(max(value, lower), upper)
