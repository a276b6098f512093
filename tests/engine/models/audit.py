"""The threshold audit of a DP model's released coefficient (shared by the model audits).

For neighbouring datasets D and D' = D + one row, a fitter is run many times on each (each
run its own seed); for several thresholds t, the events {coefficient >= t} and
{coefficient < t} give Clopper-Pearson lower bounds on epsilon
(:func:`tests.engine.stats.epsilon_lower_bound`) that hold with confidence 1 - ALPHA each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tests.engine.stats import epsilon_lower_bound

ALPHA = 1e-6


def lower_bound(on_d: Sequence[float], on_d_prime: Sequence[float]) -> float:
    """The largest epsilon lower bound over thresholds at the pooled deciles."""
    first, second = np.asarray(on_d), np.asarray(on_d_prime)
    trials = min(len(first), len(second))
    first, second = first[:trials], second[:trials]
    pooled = np.concatenate([first, second])
    best = 0.0
    for threshold in np.quantile(pooled, np.linspace(0.1, 0.9, 9)):
        high, high_prime = int(np.sum(first >= threshold)), int(np.sum(second >= threshold))
        best = max(
            best,
            epsilon_lower_bound(high_prime, high, trials, ALPHA),
            epsilon_lower_bound(high, high_prime, trials, ALPHA),
            epsilon_lower_bound(trials - high, trials - high_prime, trials, ALPHA),
            epsilon_lower_bound(trials - high_prime, trials - high, trials, ALPHA),
        )
    return best


def runs(release: Callable[[int], float], trials: int, first_seed: int) -> list[float]:
    """``trials`` releases, each with its own seed."""
    return [release(first_seed + i) for i in range(trials)]
