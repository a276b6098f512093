"""Empirical privacy audit of the engine's releases (threshold test, Clopper-Pearson).

For neighbouring datasets D and D' = D + one privacy unit, each release is run many times
on both; a threshold test estimates a lower bound on epsilon that holds with confidence
1 - ALPHA. The bound must stay below the epsilon the ledger was charged, and the same
audit must catch deliberately broken mechanisms (noise 10x too small, no contribution
bounding, a selection threshold that ignores delta).

The exact aggregates come from the engine's own bounding and partial-aggregate code; the
noise from the same measurement builders the handle uses.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import opendp.prelude as dp
import pyarrow as pa
import pytest

from sandbox.engine.bounding import keep_mask
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.measurements import integer_noise, noisy_min, partition_selection
from sandbox.engine.partials import GroupStats, PartialPlan, ValueSpec, partial_of_table
from sandbox.policies.accounting import as_epsilon_delta
from sandbox.policies.budget import Accounting
from tests.engine.stats import clopper_pearson, epsilon_lower_bound

ALPHA = 1e-6
BOUND = 3
EPSILON = Fraction(1, 2)


def base_rows(units: int = 200, seed: int = 11) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for unit in range(units):
        for _ in range(rng.randint(1, 4)):
            rows.append(
                {"pid": f"u{unit}", "region": rng.choice(["a", "b"]), "x": rng.uniform(0, 100)}
            )
    return rows


def neighbours(
    victim_rows: int, region: str = "a", value: float = 100.0
) -> tuple[pa.Table, pa.Table]:
    base = base_rows()
    victim = [{"pid": "victim", "region": region, "x": value} for _ in range(victim_rows)]
    return pa.Table.from_pylist(base), pa.Table.from_pylist(base + victim)


def exact(
    data: pa.Table, plan: PartialPlan, bound: int | None = BOUND
) -> dict[tuple[object, ...], GroupStats]:
    if bound is not None:
        data = data.filter(pa.array(keep_mask(data["pid"].combine_chunks(), bound)))
    return partial_of_table(data, plan)


def sample(measurement: object, value: int, trials: int) -> np.ndarray:
    """``trials`` independent releases of ``value`` (one call of the vector measurement)."""
    return np.asarray(measurement([value] * trials), dtype=np.int64)  # type: ignore[operator]


def tail_bound(on_d: np.ndarray, on_d_prime: np.ndarray, threshold: int) -> float:
    """Lower bound on epsilon from the events {Y >= threshold} and {Y < threshold}."""
    trials = len(on_d)
    high_prime = int(np.count_nonzero(on_d_prime >= threshold))
    high = int(np.count_nonzero(on_d >= threshold))
    return max(
        epsilon_lower_bound(high_prime, high, trials, ALPHA),
        epsilon_lower_bound(trials - high, trials - high_prime, trials, ALPHA),
    )


def test_count_audit_stays_below_the_charge_and_catches_broken_mechanisms() -> None:
    d, d_prime = neighbours(victim_rows=2 * BOUND)  # bounding must cut the victim to BOUND
    plan = PartialPlan()
    n, n_prime = exact(d, plan)[()].rows, exact(d_prime, plan)[()].rows
    assert n_prime - n == BOUND
    calibrated = integer_noise(Accounting.PURE, BOUND, EPSILON)
    charged = float(calibrated.cost.loss)
    trials = 60_000
    bound = tail_bound(sample(calibrated, n, trials), sample(calibrated, n_prime, trials), n_prime)
    assert bound <= charged
    assert bound >= 0.8 * charged  # the audit is tight enough to mean something

    broken = dp.m.make_laplace(
        calibrated.measurement.input_domain,
        calibrated.measurement.input_metric,
        scale=calibrated.scale / 10,
    )
    broken_bound = tail_bound(sample(broken, n, 20_000), sample(broken, n_prime, 20_000), n_prime)
    assert broken_bound > charged

    # Without contribution bounding the victim moves the count by twice the bound.
    unbounded = exact(d, plan, bound=None)[()].rows
    unbounded_prime = exact(d_prime, plan, bound=None)[()].rows
    assert unbounded_prime - unbounded == 2 * BOUND
    no_bounding = tail_bound(
        sample(calibrated, unbounded, 20_000),
        sample(calibrated, unbounded_prime, 20_000),
        unbounded_prime,
    )
    assert no_bounding > charged


def test_sum_audit_stays_below_the_charge_and_catches_broken_noise() -> None:
    d, d_prime = neighbours(victim_rows=BOUND + 2, value=100.0)
    grid = Grid.for_sum(0.0, 100.0)
    plan = PartialPlan(value=ValueSpec("x", grid, moments=1))
    s, s_prime = exact(d, plan)[()].units, exact(d_prime, plan)[()].units
    assert s_prime - s == BOUND * grid.max_units
    calibrated = integer_noise(Accounting.PURE, BOUND * grid.max_units, EPSILON)
    charged = float(calibrated.cost.loss)
    trials = 60_000
    bound = tail_bound(sample(calibrated, s, trials), sample(calibrated, s_prime, trials), s_prime)
    assert 0.7 * charged <= bound <= charged
    broken = dp.m.make_laplace(
        calibrated.measurement.input_domain,
        calibrated.measurement.input_metric,
        scale=calibrated.scale / 10,
    )
    assert tail_bound(sample(broken, s, 20_000), sample(broken, s_prime, 20_000), s_prime) > charged


def test_zcdp_count_audit_stays_below_its_epsilon_delta() -> None:
    d, d_prime = neighbours(victim_rows=2 * BOUND)
    n, n_prime = exact(d, PartialPlan())[()].rows, exact(d_prime, PartialPlan())[()].rows
    calibrated = integer_noise(Accounting.ZCDP, BOUND, EPSILON**2 / 2)
    delta = Fraction(1, 10**3)
    claimed = as_epsilon_delta(calibrated.cost, Accounting.ZCDP, delta).epsilon
    trials = 50_000
    on_d, on_prime = sample(calibrated, n, trials), sample(calibrated, n_prime, trials)
    threshold = n_prime + BOUND
    hits_prime = int(np.count_nonzero(on_prime >= threshold))
    hits = int(np.count_nonzero(on_d >= threshold))
    p1_low, _ = clopper_pearson(hits_prime, trials, ALPHA)
    _, p0_high = clopper_pearson(hits, trials, ALPHA)
    # (eps, delta)-DP: P1 <= e^eps * P0 + delta.
    lower = math.log(max(p1_low - float(delta), 1e-300) / p0_high)
    assert lower <= claimed


def test_quantile_audit_stays_below_the_charge_and_catches_broken_noise() -> None:
    base = [{"pid": f"u{i}", "x": 0.0} for i in range(BOUND)]
    victim = [{"pid": "victim", "x": 10.0}] * (2 * BOUND)
    d = pa.Table.from_pylist(base)
    d_prime = pa.Table.from_pylist(base + victim)
    candidates = tuple(float(v) for v in range(11))
    plan = PartialPlan(value=ValueSpec("x", Grid.centred(0.0, 10.0), candidates=candidates))
    alpha = (1, 2)
    scores = exact(d, plan)[()].quantile_scores(len(candidates), alpha)
    scores_prime = exact(d_prime, plan)[()].quantile_scores(len(candidates), alpha)
    sensitivity = BOUND * max(alpha[0], alpha[1] - alpha[0])
    assert max(abs(a - b) for a, b in zip(scores, scores_prime, strict=True)) <= sensitivity
    calibrated = noisy_min(Accounting.PURE, sensitivity, Fraction(1))
    charged = float(calibrated.cost.loss)

    def audit(measurement: object, trials: int) -> float:
        on_d = sum(int(measurement(scores)) >= 1 for _ in range(trials))  # type: ignore[operator]
        on_prime = sum(
            int(measurement(scores_prime)) >= 1  # type: ignore[operator]
            for _ in range(trials)
        )
        return max(
            epsilon_lower_bound(on_prime, on_d, trials, ALPHA),
            epsilon_lower_bound(trials - on_d, trials - on_prime, trials, ALPHA),
        )

    assert audit(calibrated, 5_000) <= charged
    broken = dp.m.make_noisy_max(
        calibrated.measurement.input_domain,
        calibrated.measurement.input_metric,
        dp.max_divergence(),
        scale=calibrated.scale / 10,
        negate=True,
    )
    assert audit(broken, 5_000) > charged


def test_partition_selection_never_releases_a_single_units_key() -> None:
    # Every key below is held by one unit with BOUND rows: D' = D + that unit, and on D the
    # key does not exist, so P[key released on D] = 0 and (eps, delta)-DP demands
    # P[released on D'] <= delta. 20,000 such keys give 20,000 independent trials at once.
    delta = Fraction(1, 10**6)
    calibrated = partition_selection(Accounting.PURE, BOUND, Fraction(1), delta)
    trials = 20_000
    released = calibrated({f"k{i}": BOUND for i in range(trials)})
    _, upper = clopper_pearson(len(released), trials, 1e-3)
    assert len(released) == 0 and upper < 1e-3

    # A broken selection (threshold at the sensitivity, ignoring delta) is caught: the
    # lower confidence bound of P[released on D'] is far above the claimed delta.
    broken = dp.m.make_laplace_threshold(
        calibrated.measurement.input_domain,
        calibrated.measurement.input_metric,
        scale=calibrated.scale,
        threshold=BOUND,
    )
    leaked = broken({f"k{i}": BOUND for i in range(trials)})
    lower, _ = clopper_pearson(len(leaked), trials, ALPHA)
    assert lower > float(calibrated.cost.delta) * 1000


@pytest.mark.parametrize(("successes", "trials"), [(0, 50), (50, 50), (17, 40)])
def test_clopper_pearson_reference_values(successes: int, trials: int) -> None:
    lower, upper = clopper_pearson(successes, trials, 0.05)
    if successes == 0:
        assert lower == 0 and upper == pytest.approx(1 - 0.025 ** (1 / trials), rel=1e-9)
    elif successes == trials:
        assert upper == 1 and lower == pytest.approx(0.025 ** (1 / trials), rel=1e-9)
    else:  # R: binom.test(17, 40)$conf.int
        assert (lower, upper) == (pytest.approx(0.2704, abs=1e-4), pytest.approx(0.5911, abs=1e-4))
