"""After the exact aggregates: noise once, apply the row-count rules, shape the output.

Everything here is post-processing of a planned release: the plan's measurements draw the
noise (each once per release), partition selection keeps the groups whose noisy count
passes its threshold (the smallest dropped beyond ``max_output_cells``), and the row-count
rules (:mod:`sandbox.policies.rowcount`) suppress and round what is left before the value
is shaped as a number or an Arrow table.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from sandbox.catalog.dictionary import DataDictionary
from sandbox.engine.joint import joint_values, value_statistics
from sandbox.engine.partials import GroupKey, GroupStats, Partial
from sandbox.engine.plan import Dimension, Plan
from sandbox.engine.report import Operation, Part, ReleaseValue
from sandbox.policies.model import RowCountRules
from sandbox.policies.rowcount import GroupRow, RowCountReport, apply_row_count_rules


@dataclass(frozen=True)
class Noised:
    """A release's value after noise and the row-count rules, with what they did."""

    value: ReleaseValue
    """The number (``None``: suppressed), an ungrouped ``agg``'s statistics, or the table
    of released groups."""
    row_count: RowCountReport
    groups: int
    """Groups released."""
    truncated: int
    """Selected groups dropped to respect ``max_output_cells``."""


def noise_and_rules(
    plan: Plan, partial: Partial, rules: RowCountRules, dictionary: DataDictionary
) -> Noised:
    """Noise the exact aggregates of ``plan`` and apply the row-count ``rules``."""
    query = plan.query
    has_bins = any(d.bins is not None for d in plan.dimensions)
    # Partial keys hold the key columns first, then the bin index (see PartialPlan).
    ordered = [d for d in plan.dimensions if d.bins is None] + [
        d for d in plan.dimensions if d.bins is not None
    ]

    def support(stats: GroupStats) -> int:
        return stats.rows if query.value is None else stats.values

    truncated = 0
    if plan.selection:
        encoded = {_encode(key): key for key in partial}
        selected = plan.parts[Part.COUNT](
            {code: support(partial[key]) for code, key in encoded.items()}
        )
        chosen = sorted(selected.items(), key=lambda item: item[0])
        limit = rules.max_output_cells
        assert limit is not None
        keep = limit // query.cells_per_group
        if len(chosen) > keep:
            truncated = len(chosen) - keep
            by_count = sorted(chosen, key=lambda item: -int(item[1]))[:keep]
            chosen = sorted(by_count, key=lambda item: item[0])
        keys: list[GroupKey] = [encoded[code] for code, _ in chosen]
        counts = [int(count) for _, count in chosen]
    else:
        keys = list(
            itertools.product(
                *[
                    tuple(range(len(d.bins) - 1)) if d.bins is not None else (d.allowed or ())
                    for d in ordered
                ]
            )
        )
        counts = []  # an agg's public counts come from its sides (sandbox.engine.joint)
        if keys and Part.COUNT in plan.parts:
            exact = [support(partial.get(key, GroupStats())) for key in keys]
            counts = [int(v) for v in plan.parts[Part.COUNT](exact)]
    stats = [partial.get(key, GroupStats()) for key in keys]
    if Part.SIDES in plan.parts:
        assert plan.grid is not None
        joint = joint_values(
            plan.parts, plan.grid, query.statistics, stats, counts if plan.selection else None
        )
        counts, values = joint.counts, joint.values
    else:
        values = _values(plan, stats, counts)
    rows = [
        GroupRow(key, float(count), values[i])
        for i, (key, count) in enumerate(zip(keys, counts, strict=True))
    ]
    result = apply_row_count_rules(rows, rules)
    released = list(result.rows)
    if not query.keys and not has_bins and query.histogram is None:
        if not released:
            return Noised(None, result.report, 0, truncated)
        row = released[0]
        if query.operation in (Operation.COUNT, Operation.COUNT_DISTINCT):
            return Noised(int(row.count), result.report, 1, truncated)
        if query.operation is Operation.AGG:
            statistics = {
                Operation.COUNT.value: int(row.count),
                **{s.value: float(row.values[s.value]) for s in value_statistics(query.statistics)},
            }
            return Noised(statistics, result.report, 1, truncated)
        return Noised(float(row.values[query.operation.value]), result.report, 1, truncated)
    return Noised(
        _table(plan, ordered, released, dictionary), result.report, len(released), truncated
    )


def _values(
    plan: Plan, stats: Sequence[GroupStats], counts: Sequence[int]
) -> list[dict[str, float]]:
    query = plan.query
    operation = query.operation
    if query.cells_per_group == 1 or not stats:
        return [{} for _ in stats]
    grid = plan.grid
    assert grid is not None
    if operation.is_quantile:  # quantile, min, max, median: named as asked
        assert plan.candidates is not None
        selector = plan.parts[Part.SELECT]
        return [
            {
                operation.value: float(
                    plan.candidates[
                        int(selector(group.quantile_scores(len(plan.candidates), plan.alpha)))
                    ]
                )
            }
            for group in stats
        ]
    sums = [int(v) for v in plan.parts[Part.SUM]([s.units for s in stats])]
    if operation is Operation.SUM:
        return [{Operation.SUM.value: grid.value_of(total)} for total in sums]
    half = (query.upper - query.lower) / 2.0
    if operation is Operation.MEAN:
        return [
            {
                Operation.MEAN.value: _clamp(
                    grid.offset + grid.value_of(total) / max(count, 1), query.lower, query.upper
                )
            }
            for total, count in zip(sums, counts, strict=True)
        ]
    squares = [int(v) for v in plan.parts[Part.SQUARES]([s.squares for s in stats])]
    out = []
    for total, square, count in zip(sums, squares, counts, strict=True):
        n = max(count, 1)
        centred_mean = grid.value_of(total) / n
        variance = grid.square_value_of(square) / n - centred_mean * centred_mean
        out.append({Operation.VARIANCE.value: _clamp(variance, 0.0, half * half)})
    return out


def _table(
    plan: Plan, ordered: Sequence[Dimension], rows: Sequence[GroupRow], dictionary: DataDictionary
) -> pa.Table:
    query = plan.query
    columns: dict[str, pa.Array] = {}
    for index, dimension in enumerate(ordered):
        raw = [row.key[index] for row in rows]
        if dimension.bins is not None:
            columns["bin_lower"] = pa.array([dimension.bins[i] for i in raw], pa.float64())
            columns["bin_upper"] = pa.array([dimension.bins[i + 1] for i in raw], pa.float64())
        else:
            arrow_type = (
                dimension.arrow_type or dictionary.by_name[dimension.column].type.arrow_type()
            )
            columns[dimension.column] = pa.array(raw, arrow_type)
    counted = "count_distinct" if query.operation is Operation.COUNT_DISTINCT else "count"
    columns[counted] = pa.array([int(row.count) for row in rows], pa.int64())
    if query.operation is Operation.AGG:
        for statistic in value_statistics(query.statistics):
            name = statistic.value
            columns[name] = pa.array([row.values[name] for row in rows], pa.float64())
    elif query.operation.cells_per_group == 2:
        name = query.operation.value
        columns[name] = pa.array([row.values[name] for row in rows], pa.float64())
    return pa.table(columns)


def _encode(key: GroupKey) -> str:
    """A group key as a string, for OpenDP's map of keys (injective and deterministic)."""
    return json.dumps([_plain(v) for v in key], separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _clamp(value: float, lower: float, upper: float) -> float:
    return min(max(value, lower), upper)
