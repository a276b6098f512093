"""The DP linear regression fitter: accurate at scale, honest standard errors, no leaks."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from sandbox.engine.models import linear
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput

TRUE = (2.0, -1.0)
INTERCEPT = 3.0


def data(rows: int, seed: int = 0) -> ModelInput:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, (rows, 2))
    y = np.clip(INTERCEPT + x @ np.array(TRUE) + rng.normal(0, 1, rows), -20, 40)
    return ModelInput(x, ("a", "b"), ((0, 10), (0, 10)), 1, y, "y", (-20, 40))


def test_the_fit_is_close_to_the_truth_at_scale_and_json_plain() -> None:
    fit = linear.fit(data(200_000), 1.0)
    values = fit.values
    assert values["coefficients"]["a"] == pytest.approx(TRUE[0], abs=0.05)
    assert values["coefficients"]["b"] == pytest.approx(TRUE[1], abs=0.05)
    assert values["intercept"] == pytest.approx(INTERCEPT, abs=0.3)
    assert values["r_squared"] == pytest.approx(0.98, abs=0.02)
    assert values["residual_std"] == pytest.approx(1.0, abs=0.3)
    assert values["noisy_rows"] == pytest.approx(200_000, rel=0.01)
    json.dumps(values, allow_nan=False)
    assert fit.epsilon == 1.0 and fit.delta == 0.0
    assert fit.details["library"].startswith("diffprivlib")


def test_standard_errors_cover_the_dp_noise() -> None:
    """Across seeded fits on one dataset, the spread of each coefficient (all DP noise) is
    within a factor of the standard error the fit reports."""
    sample = data(5_000, seed=3)
    fits = [linear.fit(sample, 0.5, random_state=seed).values for seed in range(60)]
    for name in ("a", "b"):
        spread = float(np.std([f["coefficients"][name] for f in fits]))
        reported = float(np.median([f["standard_errors"][name] for f in fits]))
        assert 0.5 * spread < reported < 3 * spread


def test_an_empty_input_still_gets_a_dp_answer() -> None:
    empty = ModelInput(
        np.empty((0, 2)), ("a", "b"), ((0, 10), (0, 10)), 1, np.empty(0), "y", (0, 1)
    )
    values = linear.fit(empty, 1.0).values
    assert all(math.isfinite(v) for v in values["coefficients"].values())


def test_the_noise_is_fresh_and_seeded_runs_repeat() -> None:
    sample = data(1_000)
    assert linear.fit(sample, 1.0).values != linear.fit(sample, 1.0).values
    assert (
        linear.fit(sample, 1.0, random_state=4).values
        == linear.fit(sample, 1.0, random_state=4).values
    )


def test_no_privacy_leak_warning_and_the_library_leak_is_an_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linear.fit(data(500), 1.0)
    from sandbox.engine.models.fitting import strict_library

    with strict_library(), pytest.raises(diffprivlib.utils.PrivacyLeakWarning):
        diffprivlib.models.LinearRegression(epsilon=1.0).fit(np.ones((3, 1)), np.ones(3))


def test_the_validator_refuses_any_parameter() -> None:
    from sandbox.engine.validation import InvalidQuery

    assert linear.validate({}) == {}
    with pytest.raises(InvalidQuery, match="unknown parameter 'alpha'"):
        linear.validate({"alpha": 1})
