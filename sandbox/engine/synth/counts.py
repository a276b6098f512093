"""The exact counts of the synthetic table's attributes: trusted, never released.

One partial-aggregate scan of the contribution-bounded fragments (the engine's own,
:func:`sandbox.engine.compute.run_partials`) groups the kept rows by every attribute at
once, with the shape's derived columns and filter applied in the scan as for any release.
The result is kept sparse, as the cells that hold rows (at most one per row, however
large the joint domain); every marginal MST measures or scores is a sum over them, so the
data is read once whatever the number of marginals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow.fs as pafs

from sandbox.engine.compute import TaskPool, run_partials
from sandbox.engine.filters import Filter
from sandbox.engine.partials import Fragment, KeySpec, Partial, PartialPlan
from sandbox.engine.synth.domain import SynthDomain

__all__ = ["JointCounts", "counts_plan", "joint_counts", "joint_of_partial", "marginal"]


@dataclass(frozen=True)
class JointCounts:
    """Exact counts of the occupied cells of the joint domain.

    Attributes:
        shape: The attributes' sizes.
        codes: ``m x d`` codes of the occupied cells (one row per cell).
        counts: The rows in each of those cells.
    """

    shape: tuple[int, ...]
    codes: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]

    @property
    def ndim(self) -> int:
        """The number of attributes."""
        return len(self.shape)

    @classmethod
    def from_dense(cls, array: npt.NDArray[np.int64]) -> JointCounts:
        """From a dense array of counts (tests and small domains)."""
        cells = np.argwhere(array > 0).astype(np.int64)
        counts = array[tuple(cells.T)] if len(cells) else np.zeros(0, dtype=np.int64)
        return cls(tuple(int(n) for n in array.shape), cells, np.asarray(counts, np.int64))


def counts_plan(domain: SynthDomain, where: Filter | None) -> PartialPlan:
    """The scan that counts the rows of each occupied cell of the joint domain."""
    keys = tuple(KeySpec(a.key, a.values) for a in domain.attributes)
    return PartialPlan(keys=keys, derived=domain.derived, where=where)


def joint_of_partial(domain: SynthDomain, partial: Partial) -> JointCounts:
    """The exact per-group counts of a scan as codes of the public domain."""
    lookups = [
        {value: index for index, value in enumerate(a.values or ())} for a in domain.attributes
    ]
    cells: list[list[int]] = []
    counts: list[int] = []
    for key, stats in partial.items():
        if stats.rows == 0:
            continue
        cell = [lookup.get(value) for value, lookup in zip(key, lookups, strict=True)]
        if any(code is None for code in cell):  # outside the public domain: in no marginal
            continue
        cells.append([int(code) for code in cell if code is not None])
        counts.append(stats.rows)
    width = len(domain.attributes)
    codes = np.asarray(cells, dtype=np.int64).reshape(len(cells), width)
    return JointCounts(domain.shape, codes, np.asarray(counts, dtype=np.int64))


def joint_counts(
    pool: TaskPool,
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    domain: SynthDomain,
    where: Filter | None,
) -> JointCounts:
    """Exact counts of the bounded fragments' kept rows (see the module docstring)."""
    partial = run_partials(pool, filesystem, fragments, counts_plan(domain, where))
    return joint_of_partial(domain, partial)


def marginal(joint: JointCounts, axes: Sequence[int]) -> npt.NDArray[np.int64]:
    """The exact marginal of ``joint`` on ``axes`` (in that order), flattened."""
    sizes = [joint.shape[a] for a in axes]
    cells = int(np.prod(sizes))
    if len(joint.counts) == 0:
        return np.zeros(cells, dtype=np.int64)
    flat = np.ravel_multi_index([joint.codes[:, a] for a in axes], sizes)
    return np.bincount(flat, weights=joint.counts, minlength=cells).astype(np.int64)
