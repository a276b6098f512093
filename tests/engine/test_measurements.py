"""The OpenDP measurements: calibration, exact accounting and the noise scale they imply.

Noise scale tests: the empirical variance over many releases is compared with the variance
that the *accounted* loss implies; the tolerance is five standard errors of the sample
variance (a false failure has probability below 1e-6).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace
from fractions import Fraction

import opendp.prelude as dp
import pytest

from sandbox.engine.fixedpoint import Grid
from sandbox.engine.measurements import (
    budget_of,
    integer_noise,
    noisy_min,
    partition_selection,
)
from sandbox.errors import SandboxInternalError
from sandbox.policies.budget import Accounting, PrivacyCost, parse_delta, parse_epsilon

SAMPLES = 40_000


def discrete_laplace_variance(scale: float) -> float:
    r = math.exp(-1.0 / scale)
    return 2.0 * r / (1.0 - r) ** 2


def assert_variance(samples: list[int], expected: float, kurtosis: float) -> None:
    n = len(samples)
    observed = statistics.pvariance(samples)
    tolerance = 5.0 * math.sqrt((kurtosis - 1.0) / n)
    assert abs(observed / expected - 1.0) < tolerance, (observed, expected, tolerance)


@pytest.mark.parametrize("accounting", list(Accounting))
@pytest.mark.parametrize(("sensitivity", "epsilon"), [(1, "0.1"), (3, "0.7"), (2**30 * 5, "1")])
def test_calibration_charges_the_budget_and_its_map_stays_within_it(
    accounting: Accounting, sensitivity: int, epsilon: str
) -> None:
    budget = budget_of(accounting, Fraction(epsilon))
    calibrated = integer_noise(accounting, sensitivity, budget)
    assert calibrated.cost == PrivacyCost.from_binary(calibrated.measurement.map(sensitivity))
    assert calibrated.charge == PrivacyCost(budget)
    assert calibrated.cost.loss <= budget
    assert calibrated.cost.loss > budget * Fraction(999_999, 1_000_000)  # not wastefully low
    assert calibrated.cost.delta == 0


@pytest.mark.parametrize("accounting", list(Accounting))
def test_a_float_epsilon_is_charged_as_its_decimal_and_the_map_stays_below(
    accounting: Accounting,
) -> None:
    # The float 0.1 a model sends is 1/10 as written; the map, read as the exact binary
    # value of OpenDP's float, must not exceed the share of it each measurement is charged.
    epsilon = parse_epsilon(0.1)
    assert epsilon == Fraction(1, 10)
    budget = budget_of(accounting, epsilon)
    for calibrated in (
        integer_noise(accounting, 1, budget),
        integer_noise(accounting, 3, budget / 3, vector=False),
        noisy_min(accounting, 2, budget),
        partition_selection(accounting, 2, budget, parse_delta(1e-6)),
    ):
        loss = PrivacyCost.from_binary(*_as_pair(calibrated.measurement.map(calibrated.d_in)))
        assert calibrated.cost == loss <= calibrated.charge
        assert calibrated.charge.loss == budget or calibrated.charge.loss == budget / 3
    assert partition_selection(accounting, 2, budget, parse_delta(1e-6)).charge == PrivacyCost(
        budget, Fraction(1, 10**6)
    )


def test_a_measurement_whose_map_exceeds_its_charge_cannot_exist() -> None:
    calibrated = integer_noise(Accounting.PURE, 1, Fraction(1, 10))
    with pytest.raises(SandboxInternalError, match="exceeds its charge"):
        replace(calibrated, allotted=PrivacyCost(Fraction(1, 11)))


def _as_pair(raw: object) -> tuple[float, float]:
    if isinstance(raw, tuple):
        return float(raw[0]), float(raw[1])
    assert isinstance(raw, float)
    return raw, 0.0


def test_zcdp_budget_is_rho_of_epsilon() -> None:
    assert budget_of(Accounting.ZCDP, Fraction(1, 2)) == Fraction(1, 8)
    assert budget_of(Accounting.PURE, Fraction(1, 2)) == Fraction(1, 2)


def test_discrete_laplace_variance_matches_accounted_epsilon() -> None:
    sensitivity = 7
    calibrated = integer_noise(Accounting.PURE, sensitivity, Fraction(1, 2))
    implied_scale = sensitivity / float(calibrated.cost.loss)
    noise = [v - 1000 for v in calibrated([1000] * SAMPLES)]
    assert_variance(noise, discrete_laplace_variance(implied_scale), kurtosis=6.0)
    assert abs(statistics.fmean(noise)) < 5 * math.sqrt(2 * implied_scale**2 / SAMPLES)


def test_discrete_gaussian_variance_matches_accounted_rho() -> None:
    sensitivity = 4
    calibrated = integer_noise(Accounting.ZCDP, sensitivity, Fraction(1, 20))
    implied_sigma = sensitivity / math.sqrt(2 * float(calibrated.cost.loss))
    noise = [v - 500 for v in calibrated([500] * SAMPLES)]
    # The discrete Gaussian's variance is within 1e-9 of sigma**2 for sigma >= 3.
    assert_variance(noise, implied_sigma**2, kurtosis=3.0)


@pytest.mark.parametrize("accounting", list(Accounting))
def test_threshold_mechanism_noise_matches_accounted_loss(accounting: Accounting) -> None:
    bound = 2
    budget = budget_of(accounting, Fraction(1))
    calibrated = partition_selection(accounting, bound, budget, Fraction(1, 10**6))
    assert calibrated.cost == PrivacyCost.from_binary(*calibrated.measurement.map((bound,) * 3))
    assert calibrated.charge == PrivacyCost(budget, Fraction(1, 10**6))
    assert calibrated.cost.loss <= budget and calibrated.cost.delta <= Fraction(1, 10**6)
    keys = 20_000
    big = 10**6
    released = calibrated({f"k{i}": big for i in range(keys)})
    assert len(released) == keys  # far above the threshold: every key is kept
    noise = [v - big for v in released.values()]
    if accounting is Accounting.PURE:
        scale = bound / float(calibrated.cost.loss)
        assert_variance(noise, discrete_laplace_variance(scale), kurtosis=6.0)
    else:
        sigma = bound / math.sqrt(2 * float(calibrated.cost.loss))
        assert_variance(noise, sigma**2, kurtosis=3.0)


def test_threshold_is_the_smallest_that_meets_delta() -> None:
    calibrated = partition_selection(Accounting.PURE, 3, Fraction(1), Fraction(1, 10**7))
    assert calibrated.threshold is not None
    lower = dp.m.make_laplace_threshold(
        calibrated.measurement.input_domain,
        calibrated.measurement.input_metric,
        scale=calibrated.scale,
        threshold=calibrated.threshold - 1,
    )
    assert Fraction(lower.map((3, 3, 3))[1]) > Fraction(1, 10**7)


def test_noisy_min_selection_probability_matches_accounted_epsilon() -> None:
    sensitivity = 3
    calibrated = noisy_min(Accounting.PURE, sensitivity, Fraction(1))
    # OpenDP accounts report-noisy-max with exponential noise at eps = 2 * d_in / scale.
    implied_scale = 2 * sensitivity / float(calibrated.cost.loss)
    gap = round(implied_scale)
    trials = 8_000
    picks = sum(int(calibrated([0, gap])) for _ in range(trials))
    # With two candidates the worse one wins iff Exp - Exp > gap: probability e^(-gap/s)/2.
    expected = 0.5 * math.exp(-gap / implied_scale)
    tolerance = 5 * math.sqrt(expected * (1 - expected) / trials)
    assert abs(picks / trials - expected) < tolerance


def test_sum_sensitivity_is_the_largest_absolute_bound_not_the_width() -> None:
    grid = Grid.for_sum(-2.0, 10.0)
    assert grid.max_units * grid.step == 10.0
    negative = Grid.for_sum(-50.0, -40.0)
    assert negative.max_units * negative.step == 50.0
    point = Grid.for_sum(7.0, 7.0)
    assert point.max_units * point.step == 7.0  # upper - lower is 0, the sensitivity is not
    assert point.max_units <= 2**30


def test_sum_with_equal_bounds_is_still_noisy() -> None:
    grid = Grid.for_sum(7.0, 7.0)
    bound = 2
    calibrated = integer_noise(Accounting.PURE, bound * grid.max_units, Fraction(1))
    true_units = 100 * grid.max_units  # 100 rows of value 7
    released = [grid.value_of(v) for v in calibrated([true_units] * 2_000)]
    assert len(set(released)) > 1000
    implied_scale = bound * 7.0 / float(calibrated.cost.loss)
    observed = statistics.pvariance(released)
    assert abs(observed / (2 * implied_scale**2) - 1) < 5 * math.sqrt(5 / 2_000)
