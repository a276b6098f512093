"""Empirical privacy audit of the DP linear regression (neighbours: one row added).

D holds rows whose target does not depend on the feature; D' adds the row that moves the
feature's coefficient most (both at their upper bound). The released coefficient is drawn
many times on each, and the threshold audit (:mod:`tests.engine.models.audit`) bounds the
observed loss below the per-row epsilon claimed. The same audit catches a planted broken
variant: the Laplace noise omitted on the feature-target sum of that one coefficient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sandbox.engine.models import linear
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from tests.engine.models.audit import lower_bound, runs

EPSILON = 1.0
ROWS = 2_000


def neighbours() -> tuple[ModelInput, ModelInput]:
    rng = np.random.default_rng(21)
    x = rng.uniform(-1, 1, (ROWS, 1))
    y = rng.uniform(-1, 1, ROWS)
    victim_x, victim_y = np.vstack([x, [[1.0]]]), np.concatenate([y, [1.0]])
    bounds = ((-1.0, 1.0),)
    return (
        ModelInput(x, ("a",), bounds, 1, y, "y", (-1.0, 1.0)),
        ModelInput(victim_x, ("a",), bounds, 1, victim_y, "y", (-1.0, 1.0)),
    )


def coefficient(data: ModelInput) -> Any:
    return lambda seed: linear.fit(data, EPSILON, random_state=seed).values["coefficients"]["a"]


def test_the_observed_loss_stays_below_the_claim() -> None:
    d, d_prime = neighbours()
    bound = lower_bound(runs(coefficient(d), 2_000, 0), runs(coefficient(d_prime), 2_000, 10**6))
    assert bound <= EPSILON


def test_the_audit_catches_the_noise_omitted_on_one_coefficient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = diffprivlib.models.linear_regression
    real = module.Laplace
    made: list[Any] = []

    def laplace(**arguments: Any) -> Any:
        # The first Laplace of a fit noises the first feature's feature-target sum.
        mechanism = real(**arguments)
        made.append(mechanism)
        if len(made) == 1:
            mechanism.randomise = lambda value: value
        return mechanism

    monkeypatch.setattr(module, "Laplace", laplace)
    d, d_prime = neighbours()

    def broken(data: ModelInput) -> Any:
        def release(seed: int) -> float:
            made.clear()
            value: float = coefficient(data)(seed)
            return value

        return release

    bound = lower_bound(runs(broken(d), 600, 0), runs(broken(d_prime), 600, 10**6))
    assert bound > EPSILON
