"""A model's sufficient statistics, computed in the tasks that read the rows, then added up.

When the rows to fit are split over more than one fragment of the bounded copy (a fragment
is one task's share of the data: the eight row groups, about a million rows, that
:data:`sandbox.engine.bounding.ROW_GROUPS_PER_TASK` gives a task, or one contribution-
bounding bucket of :attr:`QueryEngine.rows_per_bucket` rows), a family whose statistics
decompose by row (linear regression, PCA, naive Bayes, each Lloyd step of k-means) does
not bring the rows back to one process. Its fit asks a :data:`Gather` for a statistic
(``statistic(part, *args)``, a tuple of arrays that adds up over disjoint row sets:
cross-products, per-class or per-cluster counts and sums): the fragments are dealt into
two batches per CPU, as the partial aggregates are (:func:`sandbox.engine.compute.
run_partials`), each task reads its fragments one at a time exactly as the single-process
path reads them (:func:`~sandbox.engine.models.reading.fragment_arrays`: the shape after
bounding, the clipping, the rows with a null dropped) and returns only the statistic's
sum; the trusted driver adds the tasks' sums, and the family's fit adds the noise once, to
the total, with the mechanism of its single-process fit.

Nothing here is noisy or released; a statistic never leaves the trusted side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import numpy
import numpy.typing as npt
import pyarrow.fs as pafs

from sandbox.engine.compute import TASKS_PER_CPU, TaskPool, batches
from sandbox.engine.derived import Derived
from sandbox.engine.filters import Filter
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.models.reading import fragment_arrays, model_input
from sandbox.engine.models.selection import ModelSpec
from sandbox.engine.partials import Fragment

Stats = tuple[npt.NDArray[Any], ...]
"""A statistic's value: arrays that add up element by element over disjoint rows."""

Statistic = Callable[..., Stats]
"""``statistic(part: ModelInput, *args) -> Stats``: a module-level function (it is sent to
the tasks by reference), exact and deterministic, of one fragment's clipped rows."""

Gather = Callable[[Statistic, tuple[Any, ...]], Stats]
"""``gather(statistic, args)``: the statistic's sum over every row to fit."""


def added(total: Stats, part: Stats) -> Stats:
    """Two statistics' element-wise sum."""
    if len(total) != len(part):
        raise ValueError("statistics of different shapes cannot be added")
    return tuple(numpy.add(a, b) for a, b in zip(total, part, strict=True))


def fragment_statistics(
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    spec: ModelSpec,
    derived: tuple[Derived, ...],
    where: Filter | None,
    rows_per_unit: int,
    statistic: Statistic,
    args: tuple[Any, ...],
) -> Stats:
    """One task's work: ``statistic`` of each fragment's rows, summed (one fragment's rows
    in memory at a time). Only the sum is returned, never a row.
    """
    total = statistic(model_input([], spec, rows_per_unit), *args)
    for fragment in fragments:
        arrays = fragment_arrays(filesystem, fragment, spec, derived, where)
        total = added(total, statistic(model_input([arrays], spec, rows_per_unit), *args))
    return total


def gather_over(
    pool: TaskPool,
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    spec: ModelSpec,
    derived: tuple[Derived, ...],
    where: Filter | None,
    rows_per_unit: int,
) -> Gather:
    """A :data:`Gather` over ``fragments``: one task per batch (two batches per CPU of the
    pool), the tasks' sums added on the driver.
    """
    parallelism = int(getattr(pool, "parallelism", 1))
    groups = batches(fragments, TASKS_PER_CPU * parallelism)

    def gather(statistic: Statistic, args: tuple[Any, ...] = ()) -> Stats:
        calls = [
            (filesystem, group, spec, derived, where, rows_per_unit, statistic, args)
            for group in groups
        ]
        parts = pool.map(fragment_statistics, calls)
        if not parts:
            return statistic(model_input([], spec, rows_per_unit), *args)
        return reduce(added, parts)

    return gather


def gather_in_memory(parts: Sequence[ModelInput]) -> Gather:
    """A :data:`Gather` over rows already in memory (split as they are given): the same
    fits, for a caller that holds the rows (tests, benchmarks of the decomposition).
    """

    def gather(statistic: Statistic, args: tuple[Any, ...] = ()) -> Stats:
        return reduce(added, (statistic(part, *args) for part in parts))

    return gather
