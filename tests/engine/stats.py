"""Small exact-enough statistics for the engine's tests (no scipy in this project).

Clopper-Pearson intervals through the regularised incomplete beta function (continued
fraction, Numerical Recipes 6.4), and the threshold-test lower bound of DP auditing.
"""

from __future__ import annotations

import math


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            return h
    raise ArithmeticError("betacf did not converge")


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(log_front) * _betacf(b, a, 1.0 - x) / b


def _beta_quantile(p: float, a: float, b: float) -> float:
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if betainc(a, b, middle) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Two-sided (1 - alpha) Clopper-Pearson interval of a binomial proportion."""
    lower = 0.0 if successes == 0 else _beta_quantile(alpha / 2, successes, trials - successes + 1)
    upper = (
        1.0
        if successes == trials
        else _beta_quantile(1 - alpha / 2, successes + 1, trials - successes)
    )
    return lower, upper


def epsilon_lower_bound(hits_more: int, hits_less: int, trials: int, alpha: float) -> float:
    """A (1 - alpha)-confidence lower bound on epsilon from one threshold test.

    ``hits_more`` of ``trials`` runs on one dataset fell in the event, ``hits_less`` of
    ``trials`` on its neighbour. Pure DP needs P1 <= e^eps P0, so
    ``eps >= ln(lower(P1) / upper(P0))`` holds with the joint confidence (each side is a
    one-sided bound at alpha / 2, i.e. a two-sided interval at alpha).
    """
    p1_low, _ = clopper_pearson(hits_more, trials, alpha)
    _, p0_high = clopper_pearson(hits_less, trials, alpha)
    if p1_low <= 0.0:
        return 0.0
    return max(0.0, math.log(p1_low / p0_high))
