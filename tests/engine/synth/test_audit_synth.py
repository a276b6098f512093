"""Empirical privacy audit of MST's measurements (threshold tests, Clopper-Pearson).

Neighbouring datasets D and D' = D + one privacy unit whose rows are cut by contribution
bounding to ``BOUND``; the exact joint counts come from the engine's own bounding and
partial-aggregate code (:func:`counts_plan`), the noise and the selection from the plan the
engine charges. For each measurement kind (a 1-way marginal cell, a 2-way marginal cell,
one selection round) a lower bound on epsilon, holding with confidence 1 - ALPHA, must stay
below what the plan charges for it; the same audit must catch a planted broken plan that
calibrates to one row per unit (ignoring the contribution bound) and one that skips the
bounding.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pyarrow as pa

from sandbox.engine.bounding import keep_mask
from sandbox.engine.partials import partial_of_table
from sandbox.engine.synth.counts import JointCounts, counts_plan, joint_of_partial, marginal
from sandbox.engine.synth.domain import Attribute, SynthDomain
from sandbox.engine.synth.measure import (
    SCORE_CEILING,
    MeasurementPlan,
    plan_measurements,
    run_measurements,
    selection_scores,
)
from sandbox.policies.accounting import as_epsilon_delta
from sandbox.policies.budget import Accounting
from tests.engine.stats import clopper_pearson, epsilon_lower_bound

ALPHA = 1e-6
BOUND = 3
EPSILON = Fraction(3)
DOMAIN = SynthDomain(
    (Attribute("region", "region", ("a", "b")), Attribute("kind", "kind", ("x", "y", "z"))), ()
)


def rows(victim: int) -> pa.Table:
    rng = random.Random(4)
    base = [
        {"pid": f"u{u}", "region": rng.choice("ab"), "kind": rng.choice("xyz")}
        for u in range(150)
        for _ in range(rng.randint(1, 4))
    ]
    extra = [{"pid": "victim", "region": "a", "kind": "z"} for _ in range(victim)]
    return pa.Table.from_pylist(base + extra)


def joint(data: pa.Table, bound: int | None = BOUND) -> JointCounts:
    if bound is not None:
        data = data.filter(pa.array(keep_mask(data["pid"].combine_chunks(), bound)))
    return joint_of_partial(DOMAIN, partial_of_table(data, counts_plan(DOMAIN, None)))


def neighbours(bound: int | None = BOUND) -> tuple[JointCounts, JointCounts]:
    return joint(rows(0), bound), joint(rows(2 * BOUND), bound)


def cell_samples(calibrated: object, value: int, trials: int) -> np.ndarray:
    return np.asarray(calibrated([value] * trials), dtype=np.int64)  # type: ignore[operator]


def tail_bound(on_d: np.ndarray, on_prime: np.ndarray, threshold: int) -> float:
    trials = len(on_d)
    high_prime = int(np.count_nonzero(on_prime >= threshold))
    high = int(np.count_nonzero(on_d >= threshold))
    return max(
        epsilon_lower_bound(high_prime, high, trials, ALPHA),
        epsilon_lower_bound(trials - high, trials - high_prime, trials, ALPHA),
    )


def audit_one_way(
    plan: MeasurementPlan, d: JointCounts, d_prime: JointCounts, trials: int
) -> float:
    """The victim's cell of the first 1-way marginal, released many times on D and D'."""
    cell = DOMAIN.attributes[0].values.index("a")  # type: ignore[union-attr]
    value, value_prime = int(marginal(d, (0,))[cell]), int(marginal(d_prime, (0,))[cell])
    on_d = cell_samples(plan.one_way, value, trials)
    on_prime = cell_samples(plan.one_way, value_prime, trials)
    return tail_bound(on_d, on_prime, value_prime)


def test_one_way_marginals_stay_below_their_charge_and_broken_plans_are_caught() -> None:
    d, d_prime = neighbours()
    assert (
        int(d_prime.counts.sum() - d.counts.sum()) == BOUND
    )  # bounding cut the victim's 6 rows to 3
    plan = plan_measurements(Accounting.PURE, EPSILON, 2, BOUND)
    charged = float(plan.one_way.charge.loss)  # epsilon / 3 / 2 columns per marginal
    bound = audit_one_way(plan, d, d_prime, 60_000)
    assert 0.6 * charged <= bound <= charged

    # Planted bug: the noise calibrated to one row per unit, though a unit has BOUND rows.
    careless = plan_measurements(Accounting.PURE, EPSILON, 2, 1)
    assert audit_one_way(careless, d, d_prime, 20_000) > charged
    # Planted bug: no contribution bounding (the victim's 6 rows all count).
    raw, raw_prime = neighbours(bound=None)
    assert audit_one_way(plan, raw, raw_prime, 20_000) > charged


def test_two_way_marginals_stay_below_their_charge() -> None:
    d, d_prime = neighbours()
    plan = plan_measurements(Accounting.PURE, EPSILON, 2, BOUND)
    assert plan.two_way is not None
    cell = 0 * 3 + 2  # (region a, kind z)
    value, value_prime = int(marginal(d, (0, 1))[cell]), int(marginal(d_prime, (0, 1))[cell])
    assert value_prime - value == BOUND
    trials = 60_000
    bound = tail_bound(
        cell_samples(plan.two_way, value, trials),
        cell_samples(plan.two_way, value_prime, trials),
        value_prime,
    )
    assert bound <= float(plan.two_way.charge.loss)


def test_the_tree_selection_stays_below_its_charge_and_a_careless_one_is_caught() -> None:
    # Three columns: the victim's rows raise the score of one pair by at most BOUND.
    scores = {(0, 1): 100, (0, 2): 100 + BOUND // 2, (1, 2): 100}
    scores_prime = {(0, 1): 100 + BOUND, (0, 2): 100 + BOUND // 2, (1, 2): 100}
    plan = plan_measurements(Accounting.PURE, EPSILON, 3, BOUND)
    careless = plan_measurements(Accounting.PURE, EPSILON, 3, 1)
    assert plan.select is not None and careless.select is not None
    charged = float(plan.select.charge.loss)

    def picked(select: object, given: dict[tuple[int, int], int], trials: int) -> int:
        offered = [SCORE_CEILING - s for s in given.values()]
        return sum(select(offered) == 0 for _ in range(trials))  # type: ignore[operator]

    trials = 10_000
    hits = picked(plan.select, scores, trials)
    hits_prime = picked(plan.select, scores_prime, trials)
    bound = max(
        epsilon_lower_bound(hits_prime, hits, trials, ALPHA),
        epsilon_lower_bound(trials - hits, trials - hits_prime, trials, ALPHA),
    )
    assert bound <= charged, (hits, hits_prime, bound, charged)
    # The careless selection's true loss (about 0.6) is near the charge (0.5): it takes
    # more trials than the sound one for the bound to clear the charge every time.
    sloppy_trials = 8 * trials
    sloppy = picked(careless.select, scores, sloppy_trials)
    sloppy_prime = picked(careless.select, scores_prime, sloppy_trials)
    caught = epsilon_lower_bound(sloppy_prime, sloppy, sloppy_trials, ALPHA)
    assert caught > charged, (sloppy, sloppy_prime, caught, charged)


def test_selection_scores_move_by_at_most_the_bound() -> None:
    d, d_prime = neighbours()
    plan = plan_measurements(Accounting.ZCDP, Fraction(1), 2, BOUND)
    one_way = run_measurements(plan, d).one_way  # public: the same for both scores
    before, after = selection_scores(d, one_way), selection_scores(d_prime, one_way)
    assert all(abs(after[e] - before[e]) <= BOUND for e in before)


def test_zcdp_marginals_stay_below_their_epsilon_delta() -> None:
    d, d_prime = neighbours()
    plan = plan_measurements(Accounting.ZCDP, Fraction(1, 2), 2, BOUND)
    delta = Fraction(1, 10**3)
    claimed = as_epsilon_delta(plan.one_way.charge, Accounting.ZCDP, delta).epsilon
    value, value_prime = int(marginal(d, (0,))[0]), int(marginal(d_prime, (0,))[0])
    trials = 50_000
    on_d = cell_samples(plan.one_way, value, trials)
    on_prime = cell_samples(plan.one_way, value_prime, trials)
    threshold = value_prime + BOUND
    p1_low, _ = clopper_pearson(int(np.count_nonzero(on_prime >= threshold)), trials, ALPHA)
    _, p0_high = clopper_pearson(int(np.count_nonzero(on_d >= threshold)), trials, ALPHA)
    lower = float(np.log(max(p1_low - float(delta), 1e-300) / p0_high))
    assert lower <= claimed
