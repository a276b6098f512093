"""Reporting a privacy cost as (epsilon, delta), and admitting a query's cost.

Under pure DP a cost is its own report. Under zCDP a cost of rho (plus the delta of any
approximate parts, such as partition selection) is reported through the conversion of
Bun & Steinke, "Concentrated Differential Privacy: Simplifications, Extensions, and Lower
Bounds" (TCC 2016), Proposition 1.3: rho-zCDP implies
(rho + 2 * sqrt(rho * ln(1/delta)), delta)-DP for every delta > 0. The delta of the
approximate parts adds to the conversion's delta.

Everything stays exact except the converted epsilon, which involves a square root and a
logarithm: it is computed with 50 significant digits, widened by a relative 1e-40 and rounded *up*
to the reported float, so the report never understates the loss.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from fractions import Fraction

from sandbox.errors import InvalidRequest
from sandbox.policies.budget import Accounting, BudgetExhausted, PrivacyCost
from sandbox.policies.model import Policy

_MARGIN = 1 + decimal.Decimal(10) ** -40
"""Relative widening that covers the rounding error of 50-digit ln and sqrt."""


@dataclass(frozen=True)
class EpsilonDelta:
    """A cost reported as approximate DP: the loss is (epsilon, delta)-DP."""

    epsilon: float
    """The reported epsilon, rounded up to a float (``inf`` for an unlimited cost)."""
    delta: Fraction
    """The total delta, exact."""
    exact_epsilon: Fraction | None
    """The epsilon as an exact fraction where it is one (pure DP), else ``None``."""


def _round_up_to_float(value: decimal.Decimal) -> float:
    result = float(value)
    if Fraction(result) < Fraction(value):
        result = math.nextafter(result, math.inf)
    return result


def zcdp_to_epsilon(rho: Fraction, delta: Fraction) -> float:
    """Epsilon of rho-zCDP at ``delta`` (Bun & Steinke 2016, Prop. 1.3), rounded up.

    ``epsilon = rho + 2 * sqrt(rho * ln(1/delta))``.
    """
    if not 0 < delta < 1:
        raise InvalidRequest("converting zCDP to (epsilon, delta) needs a delta in (0, 1)")
    if rho < 0:
        raise InvalidRequest("rho must not be negative")
    if rho == 0:
        return 0.0
    context = decimal.Context(prec=50, rounding=decimal.ROUND_CEILING)
    rho_d = context.divide(decimal.Decimal(rho.numerator), decimal.Decimal(rho.denominator))
    inverse = context.divide(decimal.Decimal(delta.denominator), decimal.Decimal(delta.numerator))
    # ln and sqrt are correctly rounded to 50 digits (half-even); the relative margin of
    # 1e-40 covers their error, so the float rounded up from it bounds the true value.
    root = context.sqrt(context.multiply(rho_d, context.ln(inverse)))
    epsilon = context.add(rho_d, context.multiply(decimal.Decimal(2), root))
    return _round_up_to_float(context.multiply(epsilon, _MARGIN))


def as_epsilon_delta(
    cost: PrivacyCost, accounting: Accounting, delta: Fraction | None = None
) -> EpsilonDelta:
    """Report ``cost`` as (epsilon, delta).

    Args:
        cost: The loss (epsilon under pure DP, rho under zCDP) and any approximate delta.
        accounting: How ``cost.loss`` is measured.
        delta: Under zCDP, the delta at which rho is converted (the policy's delta); it is
            added to ``cost.delta``. Ignored under pure DP.

    Returns:
        The (epsilon, delta) report.
    """
    if cost.is_infinite:
        return EpsilonDelta(math.inf, Fraction(0), None)
    if accounting is Accounting.PURE:
        return EpsilonDelta(float(cost.loss), cost.delta, cost.loss)
    if cost.loss == 0:
        return EpsilonDelta(0.0, cost.delta, Fraction(0))
    if delta is None:
        raise InvalidRequest("reporting a zCDP cost as (epsilon, delta) needs a delta")
    total_delta = cost.delta + delta
    if total_delta >= 1:
        raise InvalidRequest("the total delta of this report would reach 1")
    return EpsilonDelta(zcdp_to_epsilon(cost.loss, delta), total_delta, None)


def check_query_cost(policy: Policy, cost: PrivacyCost) -> None:
    """Admission (a pure predicate): refuse a release that costs more than the per-query cap.

    ``policy`` is the effective policy. The cost's delta must also stay within the policy's
    ``delta``.

    Raises:
        BudgetExhausted: With ``budget="per-query cap"``; nothing is charged.
        InvalidRequest: The policy is not an effective (fully set) policy.
    """
    cap, delta, accounting = policy.per_query_cap, policy.delta, policy.accounting
    if cap is None or delta is None or accounting is None:
        raise InvalidRequest("the per-query cap is checked against an effective policy")
    limit = PrivacyCost(cap.loss, min(cap.delta, delta))
    if cost.is_infinite or not cost <= limit:
        raise BudgetExhausted(
            requested=cost, remaining=limit, budget="per-query cap", accounting=accounting
        )
