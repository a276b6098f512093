"""MST's measurements, made by OpenDP: noisy marginals and the private choice of a tree.

MST (McKenna, Miklau & Sheldon 2021) spends its budget in three equal thirds:

1. every 1-way marginal, with noise (one third split evenly over the columns);
2. a maximum spanning tree of the columns, chosen edge by edge by the exponential
   mechanism: each round picks, among the pairs that join two components, the one whose
   exact 2-way marginal is worst predicted by the noisy 1-way ones (one third split evenly
   over the ``d - 1`` rounds);
3. the 2-way marginal of every chosen edge, with noise (one third over the edges).

With one column, the whole budget measures its 1-way marginal.

Every measurement is an OpenDP measurement built by :mod:`sandbox.engine.measurements`:
marginal counts are exact integers, so the noise is OpenDP's discrete Gaussian (zCDP) or
discrete Laplace (pure DP) on integers, and the selection is OpenDP's report-noisy-max
(Gumbel noise: the exponential mechanism, with its zCDP or pure-DP map). Sensitivities:
adding or removing one privacy unit, who has at most ``k`` rows after contribution
bounding (and after the row-level shape, which is 1-stable), changes each marginal by at
most ``k`` in L1 and in L2 (all ``k`` rows in one cell is the worst case), and each
selection score, an L1 distance to a public estimate, by at most ``k``.

The plan is made before any row is read (the budget split, the calibrated measurements and
their exact costs), so the engine charges it before computing; :func:`run_measurements`
then applies it to the exact joint counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from sandbox.engine.measurements import Calibrated, integer_noise, noisy_min
from sandbox.engine.synth.counts import JointCounts, marginal
from sandbox.errors import SandboxInternalError
from sandbox.policies.budget import Accounting, PrivacyCost

__all__ = [
    "MeasurementPlan",
    "NoisyMarginal",
    "Selection",
    "plan_measurements",
    "run_measurements",
    "selection_scores",
]

SCORE_CEILING = 2**53
"""Scores are sent to OpenDP's noisy *min* as ``SCORE_CEILING - score`` (an integer, so
the largest error wins); a score is at most twice the rows, far below it."""


@dataclass(frozen=True)
class NoisyMarginal:
    """One released marginal: the attributes' positions, the noisy counts, their std."""

    axes: tuple[int, ...]
    values: npt.NDArray[np.int64]
    stddev: float


@dataclass(frozen=True)
class Selection:
    """One round of the tree's selection: the candidate pairs and the one chosen."""

    candidates: tuple[tuple[int, int], ...]
    chosen: tuple[int, int]


@dataclass(frozen=True)
class MeasurementPlan:
    """The calibrated measurements of one MST run and what they cost, before any read."""

    accounting: Accounting
    columns: int
    rows_per_unit: int
    budget: Fraction
    """The loss charged: epsilon (pure DP) or rho (zCDP)."""
    one_way: Calibrated
    select: Calibrated | None
    two_way: Calibrated | None

    @property
    def rounds(self) -> int:
        """Edges of the spanning tree (selection rounds and 2-way marginals)."""
        return self.columns - 1

    @property
    def cost(self) -> PrivacyCost:
        """The exact charge: the budget, split in exact shares that add up to it."""
        total = self.one_way.charge * self.columns
        if self.select is not None and self.two_way is not None:
            total = total + (self.select.charge + self.two_way.charge) * self.rounds
        return total

    @property
    def map_loss(self) -> PrivacyCost:
        """What OpenDP's maps give for all the measurements together (at most the cost)."""
        total = self.one_way.cost * self.columns
        if self.select is not None and self.two_way is not None:
            total = total + (self.select.cost + self.two_way.cost) * self.rounds
        return total

    def shares(self) -> dict[str, Fraction]:
        """The budget of each step (1-way, selection, 2-way), for the report."""
        one = self.one_way.charge.loss * self.columns
        if self.select is None or self.two_way is None:
            return {"one_way": one, "select": Fraction(0), "two_way": Fraction(0)}
        return {
            "one_way": one,
            "select": self.select.charge.loss * self.rounds,
            "two_way": self.two_way.charge.loss * self.rounds,
        }


def plan_measurements(
    accounting: Accounting, budget: Fraction, columns: int, rows_per_unit: int
) -> MeasurementPlan:
    """Calibrate MST's measurements to ``budget`` (epsilon or rho) over ``columns``."""
    if columns < 1 or rows_per_unit < 1 or budget <= 0:
        raise SandboxInternalError("an MST plan needs columns, a contribution bound and budget")
    if columns == 1:
        one = integer_noise(accounting, rows_per_unit, budget)
        return MeasurementPlan(accounting, 1, rows_per_unit, budget, one, None, None)
    third = budget / 3
    rounds = columns - 1
    one = integer_noise(accounting, rows_per_unit, third / columns)
    select = noisy_min(accounting, rows_per_unit, third / rounds)
    two = integer_noise(accounting, rows_per_unit, third / rounds)
    return MeasurementPlan(accounting, columns, rows_per_unit, budget, one, select, two)


def _stddev(calibrated: Calibrated) -> float:
    """Standard deviation of the noise (used to weigh the measurements in estimation)."""
    if calibrated.mechanism == "discrete Laplace":
        return float(np.sqrt(2.0) * calibrated.scale)
    return float(calibrated.scale)


def _noisy(calibrated: Calibrated, exact: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    released = calibrated([int(v) for v in exact])
    return np.asarray(released, dtype=np.int64)


def _independent_estimate(
    one_way: Sequence[NoisyMarginal],
) -> tuple[list[npt.NDArray[np.float64]], float]:
    """Per-column distributions and a total from the noisy 1-way marginals (public)."""
    totals = [float(m.values.sum()) for m in one_way]
    total = max(1.0, float(np.mean(totals)))
    shares = []
    for m in one_way:
        clipped = np.clip(m.values.astype(np.float64), 0.0, None)
        mass = clipped.sum()
        shares.append(clipped / mass if mass > 0 else np.full(len(clipped), 1.0 / len(clipped)))
    return shares, total


def selection_scores(
    joint: JointCounts, one_way: Sequence[NoisyMarginal]
) -> dict[tuple[int, int], int]:
    """Each pair's score: the L1 error of the independence estimate of its 2-way marginal.

    The estimate (the product of the noisy 1-way distributions times a noisy total, rounded
    to integers) is public, so a score moves by at most ``k`` when one unit's ``k`` rows
    come or go: the score's sensitivity.
    """
    shares, total = _independent_estimate(one_way)
    scores = {}
    for a, b in itertools.combinations(range(joint.ndim), 2):
        estimate = np.rint(total * np.outer(shares[a], shares[b]).reshape(-1)).astype(np.int64)
        scores[(a, b)] = int(np.abs(marginal(joint, (a, b)) - estimate).sum())
    return scores


class _Components:
    """Union-find over the columns (the tree's components so far)."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def merge(self, a: int, b: int) -> None:
        self._parent[self.find(a)] = self.find(b)


def select_tree(
    select: Calibrated, scores: dict[tuple[int, int], int], columns: int
) -> list[Selection]:
    """The spanning tree, one exponential-mechanism round per edge (Kruskal's order)."""
    components = _Components(columns)
    rounds: list[Selection] = []
    for _ in range(columns - 1):
        candidates = tuple(e for e in scores if components.find(e[0]) != components.find(e[1]))
        offered = [SCORE_CEILING - min(scores[e], SCORE_CEILING) for e in candidates]
        index = int(select(offered))
        chosen = candidates[index]
        components.merge(*chosen)
        rounds.append(Selection(candidates, chosen))
    return rounds


@dataclass(frozen=True)
class Measured:
    """Everything MST measured: the noisy marginals it releases into the estimation."""

    one_way: tuple[NoisyMarginal, ...]
    two_way: tuple[NoisyMarginal, ...]
    tree: tuple[Selection, ...]

    @property
    def marginals(self) -> tuple[NoisyMarginal, ...]:
        """All the noisy marginals, 1-way first."""
        return self.one_way + self.two_way


def run_measurements(plan: MeasurementPlan, joint: JointCounts) -> Measured:
    """Apply the plan to the exact joint counts (already charged): MST's three steps."""
    if joint.ndim != plan.columns:
        raise SandboxInternalError("the joint counts do not match the plan's columns")
    one_way = tuple(
        NoisyMarginal((i,), _noisy(plan.one_way, marginal(joint, (i,))), _stddev(plan.one_way))
        for i in range(plan.columns)
    )
    if plan.select is None or plan.two_way is None:
        return Measured(one_way, (), ())
    tree = select_tree(plan.select, selection_scores(joint, one_way), plan.columns)
    two = plan.two_way
    two_way = tuple(
        NoisyMarginal(s.chosen, _noisy(two, marginal(joint, s.chosen)), _stddev(two)) for s in tree
    )
    return Measured(one_way, two_way, tuple(tree))
