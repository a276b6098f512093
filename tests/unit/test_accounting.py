"""Costs reported as (epsilon, delta) and the per-query admission check."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest

from sandbox.errors import InvalidRequest
from sandbox.policies.accounting import as_epsilon_delta, check_query_cost, zcdp_to_epsilon
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.policies.layering import PLATFORM_DEFAULTS, effective_policy, platform_defaults
from sandbox.policies.model import Policy


def test_pure_cost_reports_itself_exactly() -> None:
    report = as_epsilon_delta(PrivacyCost(Fraction(1, 3), Fraction(1, 10**6)), Accounting.PURE)
    assert report.exact_epsilon == Fraction(1, 3)
    assert report.epsilon == float(Fraction(1, 3))
    assert report.delta == Fraction(1, 10**6)


@pytest.mark.parametrize("rho", [Fraction(1, 100), Fraction(1, 2), Fraction(3), Fraction(0.1)])
@pytest.mark.parametrize("delta", [Fraction(1, 10**6), Fraction(1, 10**9), Fraction(1, 2)])
def test_zcdp_conversion_matches_bun_steinke_and_never_understates(
    rho: Fraction, delta: Fraction
) -> None:
    expected = float(rho) + 2 * math.sqrt(float(rho) * math.log(1 / float(delta)))
    epsilon = zcdp_to_epsilon(rho, delta)
    assert epsilon == pytest.approx(expected, rel=1e-14)
    assert epsilon >= expected or math.isclose(epsilon, expected, rel_tol=1e-15)


def test_zcdp_conversion_is_rounded_up() -> None:
    # A high-precision reference: the float reported is at or above it, within an ulp.
    with localcontext() as context:
        context.prec = 80
        reference = Decimal("0.5") + 2 * (Decimal("0.5") * Decimal(10**6).ln()).sqrt()
    epsilon = zcdp_to_epsilon(Fraction(1, 2), Fraction(1, 10**6))
    assert Fraction(epsilon) >= Fraction(reference)
    assert Fraction(math.nextafter(epsilon, 0)) < Fraction(reference)


def test_zcdp_report_adds_the_approximate_delta() -> None:
    cost = PrivacyCost(Fraction(1, 10), Fraction(1, 10**7))
    report = as_epsilon_delta(cost, Accounting.ZCDP, Fraction(1, 10**6))
    assert report.delta == Fraction(11, 10**7)
    assert report.exact_epsilon is None
    assert report.epsilon == zcdp_to_epsilon(Fraction(1, 10), Fraction(1, 10**6))


def test_zcdp_edge_cases() -> None:
    assert as_epsilon_delta(PrivacyCost.zero(), Accounting.ZCDP).epsilon == 0
    assert zcdp_to_epsilon(Fraction(0), Fraction(1, 10)) == 0
    assert as_epsilon_delta(PrivacyCost.inf(), Accounting.ZCDP).epsilon == math.inf
    with pytest.raises(InvalidRequest, match="needs a delta"):
        as_epsilon_delta(PrivacyCost.of(1), Accounting.ZCDP)
    for bad in (Fraction(0), Fraction(1), Fraction(-1)):
        with pytest.raises(InvalidRequest, match=r"delta in \(0, 1\)"):
            zcdp_to_epsilon(Fraction(1), bad)
    with pytest.raises(InvalidRequest, match="reach 1"):
        as_epsilon_delta(PrivacyCost(Fraction(1), Fraction(1, 2)), Accounting.ZCDP, Fraction(1, 2))


def test_check_query_cost() -> None:
    policy = effective_policy(Policy(), Policy())
    check_query_cost(policy, PrivacyCost.of(1, "1e-6"))
    with pytest.raises(BudgetExhausted) as info:
        check_query_cost(policy, PrivacyCost.of(1 + 1e-9))
    assert info.value.budget == "per-query cap"
    assert info.value.remaining == PLATFORM_DEFAULTS.per_query_cap
    with pytest.raises(BudgetExhausted):
        check_query_cost(policy, PrivacyCost.of(0.5, 2e-6))
    with pytest.raises(BudgetExhausted):
        check_query_cost(policy, PrivacyCost.inf())
    with pytest.raises(BudgetExhausted, match="rho"):
        check_query_cost(platform_defaults(Accounting.ZCDP), PrivacyCost.of(1))
    with pytest.raises(InvalidRequest, match="effective policy"):
        check_query_cost(Policy(), PrivacyCost.of(1))
