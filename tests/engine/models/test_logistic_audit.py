"""Empirical privacy audit of the DP logistic regression (neighbours: one row added).

D holds rows on a symmetric grid of the feature with balanced classes; D' adds the row that
moves the feature's coefficient most (the feature at its upper bound, class 1). The released
coefficient is drawn many times on each, and the threshold audit
(:mod:`tests.engine.models.audit`) bounds the observed loss below the per-row epsilon
claimed. The same audit catches a planted broken variant: the objective's random linear
term omitted on that one coefficient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sandbox.engine.models import logistic
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from tests.engine.models.audit import lower_bound, runs

EPSILON = 1.0
ROWS = 200


def neighbours() -> tuple[ModelInput, ModelInput]:
    x = np.linspace(-1, 1, ROWS).reshape(-1, 1)
    y = np.array([i % 2 for i in range(ROWS)], dtype=np.int64)
    classes = ("no", "yes")
    bounds = ((-1.0, 1.0),)
    return (
        ModelInput(x, ("a",), bounds, 1, y, "c", None, classes),
        ModelInput(np.vstack([x, [[1.0]]]), ("a",), bounds, 1, np.append(y, 1), "c", None, classes),
    )


def coefficient(data: ModelInput) -> Any:
    return lambda seed: logistic.fit(data, EPSILON, random_state=seed).values["coefficients"]["a"]


def test_the_observed_loss_stays_below_the_claim() -> None:
    d, d_prime = neighbours()
    bound = lower_bound(runs(coefficient(d), 500, 0), runs(coefficient(d_prime), 500, 10**6))
    assert bound <= EPSILON


def test_the_audit_catches_the_noise_omitted_on_one_coefficient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = diffprivlib.models.logistic_regression
    real = module.Vector

    class Broken(real):  # type: ignore[misc, valid-type]
        def randomise(self, value: Any) -> Any:
            perturbed = super().randomise(value)
            cells = dict(zip(perturbed.__code__.co_freevars, perturbed.__closure__, strict=True))
            cells["normed_noisy_vector"].cell_contents[0] = 0.0  # the first feature's term
            return perturbed

    monkeypatch.setattr(module, "Vector", Broken)
    d, d_prime = neighbours()
    bound = lower_bound(runs(coefficient(d), 250, 0), runs(coefficient(d_prime), 250, 10**6))
    assert bound > EPSILON
