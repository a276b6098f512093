"""The exact joint counts of the synthetic table's attributes: trusted, never released.

One partial-aggregate scan of the contribution-bounded fragments (the engine's own,
:func:`sandbox.engine.compute.run_partials`) groups the kept rows by every attribute at
once, with the shape's derived columns and filter applied in the scan as for any release.
Every marginal MST measures or scores is a sum of this one array, so the data is read once
whatever the number of marginals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow.fs as pafs

from sandbox.engine.compute import TaskPool, run_partials
from sandbox.engine.filters import Filter
from sandbox.engine.partials import Fragment, KeySpec, Partial, PartialPlan
from sandbox.engine.synth.domain import SynthDomain

__all__ = ["JointCounts", "joint_counts", "joint_of_partial", "marginal"]

JointCounts = npt.NDArray[np.int64]
"""Exact counts of every cell of the joint domain (shape: the attributes' sizes)."""


def counts_plan(domain: SynthDomain, where: Filter | None) -> PartialPlan:
    """The scan that counts the rows of each cell of the joint domain."""
    keys = tuple(KeySpec(a.key, a.values) for a in domain.attributes)
    return PartialPlan(keys=keys, derived=domain.derived, where=where)


def joint_of_partial(domain: SynthDomain, partial: Partial) -> JointCounts:
    """The exact per-group counts of a scan as a dense array over the joint domain."""
    joint = np.zeros(domain.shape, dtype=np.int64)
    codes = [
        {value: index for index, value in enumerate(a.values or ())} for a in domain.attributes
    ]
    for key, stats in partial.items():
        if stats.rows == 0:
            continue
        cell = []
        for value, lookup in zip(key, codes, strict=True):
            index = lookup.get(value)
            if index is None:  # outside the public domain: in no marginal
                break
            cell.append(index)
        else:
            joint[tuple(cell)] += stats.rows
    return joint


def joint_counts(
    pool: TaskPool,
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    domain: SynthDomain,
    where: Filter | None,
) -> JointCounts:
    """Exact joint counts of the bounded fragments' kept rows (see the module docstring)."""
    partial = run_partials(pool, filesystem, fragments, counts_plan(domain, where))
    return joint_of_partial(domain, partial)


def marginal(joint: JointCounts, axes: Sequence[int]) -> npt.NDArray[np.int64]:
    """The exact marginal of ``joint`` on ``axes`` (in that order), flattened."""
    others = tuple(i for i in range(joint.ndim) if i not in axes)
    summed = joint.sum(axis=others) if others else joint
    kept = sorted(axes)
    order = [kept.index(a) for a in axes]
    return np.ascontiguousarray(np.transpose(summed, order)).reshape(-1).astype(np.int64)
