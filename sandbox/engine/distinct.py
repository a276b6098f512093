"""``count_distinct(column)``: how many distinct non-null values a column has (per group).

Exact part: each Ray task reads its fragments of the contribution-bounded copy (one at a
time), applies the query's derived columns and filter (:func:`~sandbox.engine.shape.
apply_shape`, after bounding as for every aggregate), and keeps the distinct
``(group key, value)`` pairs; the driver merges the tasks' pairs (a value may occur in
several fragments) and counts them per group. Memory on the driver is bounded by the
number of distinct pairs, not by the rows.

Sensitivity, following Tumult Analytics (``count_distinct`` under ``MaxRowsPerID``): adding
or removing one row adds or removes at most one distinct value, in one group; a privacy
unit changes at most ``c`` rows (the plan's row distance after bounding and the row-level
transformations), so the distinct counts move by at most ``c`` in L1 norm, in L2 norm and
in any one group: the same sensitivity as a count, and the same measurements (discrete
Laplace or Gaussian, or OpenDP's threshold mechanism under partition selection). Counting
the privacy unit column itself (distinct persons) is Tumult's special case: a unit adds at
most one to each group it has rows in, and it has rows in at most ``min(c, groups)``
groups, so the L1 sensitivity is ``min(c, groups)`` and the L2 one its square root (1
without group keys).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from sandbox.engine.compute import TASKS_PER_CPU, TaskPool, batches
from sandbox.engine.partial_plan import Fragment, GroupStats, Partial, PartialPlan
from sandbox.engine.partials import read_fragment
from sandbox.engine.shape import apply_shape
from sandbox.policies.budget import Accounting


def distinct_sensitivity(
    accounting: Accounting, distance: int, of_unit: bool, groups: int | None
) -> int:
    """The integer sensitivity the distinct counts' noise is calibrated at (module doc).

    ``groups`` is the number of public groups (1 without keys; ``None`` under partition
    selection, when a unit may reach as many groups as rows).
    """
    if not of_unit:
        return distance
    reach = distance if groups is None else max(1, min(distance, groups))
    if accounting is Accounting.PURE:
        return reach
    return math.isqrt(reach - 1) + 1 if reach > 1 else 1  # ceil(sqrt(reach))


def _plain(table: pa.Table) -> pa.Table:
    """``table`` with dictionary-encoded columns decoded (so pairs compare by value)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(
                index, field.name, pc.cast(table[field.name], field.type.value_type)
            )
    return table


def _unique(table: pa.Table, names: list[str]) -> pa.Table:
    return table.group_by(names, use_threads=False).aggregate([])


def distinct_pairs(
    filesystem: pafs.FileSystem, fragments: Sequence[Fragment], plan: PartialPlan, column: str
) -> pa.Table:
    """The distinct ``(keys..., column)`` pairs of some fragments (one Ray task).

    Rows whose value is null, which the filter drops, or whose key is not one of a key's
    declared values are left out.
    """
    names = [k.column for k in plan.keys]
    stored = plan.file_columns()
    if column not in stored:
        stored.append(column)
    found: list[pa.Table] = []
    for fragment in fragments:
        table = read_fragment(filesystem, fragment, stored)
        table, keep = apply_shape(table, plan.derived, plan.where)
        table = _plain(table.select([*names, column]))
        mask: Any = pc.is_valid(table[column])
        if keep is not None:
            mask = pc.and_(mask, pc.fill_null(keep, False))
        for spec in plan.keys:
            if spec.allowed is not None:
                allowed = pa.array(list(spec.allowed), type=table.schema.field(spec.column).type)
                mask = pc.and_(
                    mask, pc.fill_null(pc.is_in(table[spec.column], value_set=allowed), False)
                )
        found.append(_unique(table.filter(mask), [*names, column]))
    if not found:
        return pa.table({})
    return _unique(pa.concat_tables(found), [*names, column])


def distinct_partial(
    pool: TaskPool,
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    plan: PartialPlan,
    column: str,
) -> Partial:
    """Exact distinct counts per group over all fragments, as a :data:`Partial` whose
    ``rows`` and ``values`` are the distinct counts (what the count measurements noise).
    """
    parallelism = int(getattr(pool, "parallelism", 1))
    calls = [
        (filesystem, batch, plan, column)
        for batch in batches(fragments, TASKS_PER_CPU * parallelism)
    ]
    tables = [t for t in pool.map(distinct_pairs, calls) if t.num_columns]
    names = [k.column for k in plan.keys]
    if not tables:
        return {}
    pairs = _unique(pa.concat_tables(tables), [*names, column])
    if not names:
        return (
            {(): GroupStats(rows=pairs.num_rows, values=pairs.num_rows)} if pairs.num_rows else {}
        )
    counted = pairs.group_by(names, use_threads=False).aggregate([([], "count_all")])
    keys = list(zip(*[counted[name].to_pylist() for name in names], strict=True))
    return {
        tuple(key): GroupStats(rows=int(n), values=int(n))
        for key, n in zip(keys, counted["count_all"].to_pylist(), strict=True)
    }
