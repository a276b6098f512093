"""Planning a DP query: its group dimensions, its OpenDP measurements and its exact cost.

A plan is made before anything is read or charged, so every refusal it raises (keys without
categories but no ``delta``, too many groups, too many output cells) costs nothing. The
query's budget is split between its measurements by :data:`SHARES`; the plan's cost is the
sum of their charges, the exact shares of the request, each at least the loss OpenDP's map
gives for its measurement.

Every measurement is calibrated at the plan's :attr:`Plan.row_distance`: the most rows one
privacy unit can change in the aggregated rows. It is not assumed to be the contribution
bound: it is what comes out of the stability maps of the query's transformations
(:func:`sandbox.engine.shape.stability_steps`: bounding, then each derived column and the
filter), and the plan keeps the steps so the release report shows them.

Group keys are stored columns (declared categories or booleans: public; anything else:
DP partition selection) or derived columns (public by construction). When every key is
public, the cross product of their categories is the output's groups, refused beyond the
policy's ``row_count.max_output_cells`` before anything is charged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pyarrow as pa

from sandbox.catalog.dictionary import ColumnSpec, ColumnType
from sandbox.engine import joint
from sandbox.engine.derived import Derived
from sandbox.engine.distinct import distinct_sensitivity
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.measurements import (
    Calibrated,
    budget_of,
    integer_noise,
    noisy_min,
    partition_selection,
)
from sandbox.engine.partials import BinSpec, KeySpec, PartialPlan, ValueSpec
from sandbox.engine.report import Operation, Part
from sandbox.engine.shape import KeyColumn, Shape
from sandbox.engine.stability import StabilityStep, stability_steps
from sandbox.engine.validation import InvalidQuery
from sandbox.policies.budget import PrivacyCost
from sandbox.policies.model import Policy
from sandbox.policies.rowcount import OutputTooLarge

QUANTILE_CANDIDATES = 1001
"""Candidates of a quantile: evenly spaced over the bounds (integers for narrow int columns)."""
QUANTILE_DENOMINATOR = 10_000
"""The quantile level is used as a fraction with at most this denominator."""
MAX_PUBLIC_GROUPS = 1_000_000

SHARES: dict[Operation, dict[Part, Fraction]] = {
    Operation.COUNT: {Part.COUNT: Fraction(1)},
    Operation.HISTOGRAM: {Part.COUNT: Fraction(1)},
    Operation.SUM: {Part.COUNT: Fraction(1, 4), Part.SUM: Fraction(3, 4)},
    Operation.MEAN: {Part.COUNT: Fraction(1, 2), Part.SUM: Fraction(1, 2)},
    Operation.VARIANCE: {
        Part.COUNT: Fraction(1, 3),
        Part.SUM: Fraction(1, 3),
        Part.SQUARES: Fraction(1, 3),
    },
    Operation.QUANTILE: {Part.COUNT: Fraction(1, 4), Part.SELECT: Fraction(3, 4)},
    Operation.MIN: {Part.COUNT: Fraction(1, 4), Part.SELECT: Fraction(3, 4)},
    Operation.MAX: {Part.COUNT: Fraction(1, 4), Part.SELECT: Fraction(3, 4)},
    Operation.MEDIAN: {Part.COUNT: Fraction(1, 4), Part.SELECT: Fraction(3, 4)},
    Operation.COUNT_DISTINCT: {Part.COUNT: Fraction(1)},
}
"""How a query's budget is split between its measurements. The count of every release is
the noisy support the row-count rules act on. An ``agg`` splits by its statistics
(:func:`sandbox.engine.joint.shares_of`)."""


@dataclass(frozen=True)
class Dimension:
    """One dimension of a group key: a column's values, or numeric bins."""

    column: str
    allowed: tuple[Any, ...] | None
    """Declared (public) values, or ``None``: keys come from partition selection."""
    bins: tuple[float, ...] | None = None
    arrow_type: pa.DataType | None = None
    """The output type of a derived key (stored keys take the dictionary's)."""


@dataclass(frozen=True)
class Query:
    """One validated DP call: what to compute, over which keys, for which budget."""

    operation: Operation
    keys: tuple[KeyColumn, ...]
    epsilon: Fraction
    delta: Fraction | None
    value: ColumnSpec | None = None
    lower: float = 0.0
    upper: float = 0.0
    q: Fraction | None = None
    histogram: ColumnSpec | None = None
    edges: tuple[float, ...] | None = None
    shape: Shape = Shape()
    """Derived columns and filter, evaluated after contribution bounding (the handle sets
    it on every query it runs)."""
    statistics: tuple[Operation, ...] = ()
    """An ``agg``'s statistics, in the order asked (:mod:`sandbox.engine.joint`)."""
    distinct: ColumnSpec | None = None
    """The column whose distinct values a ``count_distinct`` counts."""
    distinct_of_unit: bool = False
    """Whether that column is the privacy unit (:mod:`sandbox.engine.distinct`)."""

    @property
    def cells_per_group(self) -> int:
        """Statistics released per group: the count, and an ``agg``'s value statistics."""
        if self.operation is Operation.AGG:
            return 1 + len(joint.value_statistics(self.statistics))
        return self.operation.cells_per_group


@dataclass
class Plan:
    """A query with its dimensions and its calibrated measurements, by part."""

    query: Query
    dimensions: tuple[Dimension, ...]
    selection: bool
    """Whether the groups come from DP partition selection (some keys are not declared)."""
    steps: tuple[StabilityStep, ...] = ()
    """The transformations from stored rows to aggregated rows, with their stability."""
    parts: dict[Part, Calibrated] = field(default_factory=dict)
    grid: Grid | None = None
    candidates: tuple[float, ...] | None = None
    alpha: tuple[int, int] = (1, 2)

    @property
    def row_distance(self) -> int:
        """Most rows one privacy unit changes in the aggregated rows (after every step)."""
        return self.steps[-1].rows_per_unit

    @property
    def cost(self) -> PrivacyCost:
        """The exact charge: the sum of the measurements' charges.

        That is the query's decimal epsilon (or its rho) split by :data:`SHARES`, each share
        at least the loss OpenDP's map gives for its measurement.
        """
        total = PrivacyCost.zero()
        for part in self.parts.values():
            total = total + part.charge
        return total


def plan_query(
    query: Query,
    policy: Policy,
    contribution_bound: int,
    privacy_unit: str | None = None,
    source_steps: tuple[StabilityStep, ...] = (),
) -> Plan:
    """Dimensions, measurements and exact cost; raises before anything is charged.

    ``source_steps`` are a joined handle's steps from the stored rows to the joined ones
    (:mod:`sandbox.engine.joins`); they replace contribution bounding as the first steps.
    """
    accounting = policy.accounting
    assert accounting is not None and policy.delta is not None
    dimensions = [dimension_of(spec) for spec in query.keys]
    if query.histogram is not None:
        if query.edges is not None:
            dimensions.append(Dimension(query.histogram.name, None, bins=query.edges))
        else:
            dimensions.append(dimension_of(query.histogram))
    selection = any(d.allowed is None and d.bins is None for d in dimensions)
    cells_per_group = query.cells_per_group
    groups: int | None = None
    limit = policy.row_count.max_output_cells
    assert limit is not None
    if selection:
        if query.delta is None or query.delta == 0:
            raise InvalidQuery(
                "these group keys have no declared categories: partition selection "
                "needs delta=<a small positive number>"
            )
        if query.delta > policy.delta:
            raise InvalidQuery(
                f"delta may be at most the policy's delta ({float(policy.delta):.3g})"
            )
    else:
        groups = math.prod(_size(d) for d in dimensions)
        if groups > MAX_PUBLIC_GROUPS:
            raise InvalidQuery(
                f"the declared keys make {groups} groups; at most {MAX_PUBLIC_GROUPS} are supported"
            )
        if groups * cells_per_group > limit:
            raise OutputTooLarge(cells=groups * cells_per_group, limit=limit)
    steps = stability_steps(query.shape, privacy_unit, contribution_bound, source_steps)
    plan = Plan(query, tuple(dimensions), selection, steps)
    budget = budget_of(accounting, query.epsilon)
    c = plan.row_distance
    if query.operation is Operation.AGG:
        if query.value is not None:
            plan.grid = Grid.centred(query.lower, query.upper)
        plan.parts = joint.plan_parts(
            accounting, c, budget, query.statistics, plan.grid, selection, query.delta
        )
        return plan
    shares = SHARES[query.operation]
    if selection:
        assert query.delta is not None
        plan.parts[Part.COUNT] = partition_selection(
            accounting, c, budget * shares[Part.COUNT], query.delta
        )
    else:
        counted = c
        if query.operation is Operation.COUNT_DISTINCT:
            counted = distinct_sensitivity(accounting, c, query.distinct_of_unit, groups)
        plan.parts[Part.COUNT] = integer_noise(accounting, counted, budget * shares[Part.COUNT])
    # One grid step per (lower, upper): a sum and a mean or variance on the same bounds
    # sum the same raw units (one pass, see sandbox.engine.memo). A sum is uncentred,
    # so its sensitivity is max(|lower|, |upper|) in units; a mean or variance is
    # centred on the grid point nearest the midpoint, so its sum's sensitivity is about
    # half the range. Each sensitivity is computed from the units of its own grid
    # (Grid.max_units), so sharing the raw units never understates it.
    operation = query.operation
    if operation is Operation.SUM:
        plan.grid = Grid.for_sum(query.lower, query.upper)
    elif operation in (Operation.MEAN, Operation.VARIANCE) or operation.is_quantile:
        plan.grid = Grid.centred(query.lower, query.upper)
    if operation in (Operation.SUM, Operation.MEAN, Operation.VARIANCE):
        assert plan.grid is not None
        plan.parts[Part.SUM] = integer_noise(
            accounting, c * plan.grid.max_units, budget * shares[Part.SUM]
        )
    if operation is Operation.VARIANCE:
        assert plan.grid is not None
        plan.parts[Part.SQUARES] = integer_noise(
            accounting, c * plan.grid.max_square_units, budget * shares[Part.SQUARES]
        )
    if operation.is_quantile:
        assert query.q is not None and query.value is not None
        level = query.q.limit_denominator(QUANTILE_DENOMINATOR)
        plan.alpha = (level.numerator, level.denominator)
        plan.candidates = _candidates(query.value, query.lower, query.upper)
        a, b = plan.alpha
        plan.parts[Part.SELECT] = noisy_min(
            accounting, c * max(a, b - a), budget * shares[Part.SELECT]
        )
    return plan


def partial_plan_of(plan: Plan) -> PartialPlan:
    """The exact aggregates a plan needs of the bounded fragments."""
    query = plan.query
    keys = tuple(KeySpec(d.column, d.allowed) for d in plan.dimensions if d.bins is None)
    bins = next((BinSpec(d.column, d.bins) for d in plan.dimensions if d.bins is not None), None)
    value = None
    if query.value is not None:
        assert plan.grid is not None
        moments = _MOMENTS.get(query.operation, 0)
        if query.operation is Operation.AGG:
            values = joint.value_statistics(query.statistics)
            moments = 2 if Operation.VARIANCE in values else 1 if values else 0
        value = ValueSpec(query.value.name, plan.grid, moments, plan.candidates)
    shape = query.shape.needed_for(query.keys)
    return PartialPlan(keys, bins, value, shape.derived, shape.where)


_MOMENTS = {Operation.SUM: 1, Operation.MEAN: 1, Operation.VARIANCE: 2}
"""Powers of the value an operation sums (a quantile sums none: it scores candidates)."""


def dimension_of(spec: KeyColumn) -> Dimension:
    """A key column's dimension: its declared categories (booleans: both; a derived column:
    its own), else none.
    """
    if isinstance(spec, Derived):
        return Dimension(spec.name, tuple(spec.categories), arrow_type=spec.type.arrow_type())
    if spec.categories is not None:
        return Dimension(spec.name, tuple(spec.categories))
    if spec.type is ColumnType.BOOL:
        return Dimension(spec.name, (False, True))
    return Dimension(spec.name, None)


def _size(dimension: Dimension) -> int:
    if dimension.bins is not None:
        return len(dimension.bins) - 1
    assert dimension.allowed is not None
    return len(dimension.allowed)


def _candidates(spec: ColumnSpec, lower: float, upper: float) -> tuple[float, ...]:
    first, last = math.ceil(lower), math.floor(upper)
    if spec.type is ColumnType.INT64 and 0 <= last - first < QUANTILE_CANDIDATES:
        return tuple(float(v) for v in range(first, last + 1))
    if lower == upper:
        return (lower,)
    step = (upper - lower) / (QUANTILE_CANDIDATES - 1)
    points = [lower + step * i for i in range(QUANTILE_CANDIDATES - 1)] + [upper]
    return tuple(sorted(set(min(max(p, lower), upper) for p in points)))
