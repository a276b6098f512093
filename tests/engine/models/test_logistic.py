"""The DP logistic regression fitter: close to the non-private fit at scale, never fails."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

from sandbox.engine.models import logistic
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.validation import InvalidQuery


def data(rows: int, seed: int = 0) -> ModelInput:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, (rows, 2))
    logit = -1 + 0.8 * x[:, 0] - 0.5 * x[:, 1]
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return ModelInput(x, ("a", "b"), ((0, 10), (0, 10)), 1, y, "c", None, ("no", "yes"))


def test_the_fit_is_close_to_the_non_private_one_at_scale() -> None:
    sample = data(100_000)
    assert sample.target is not None
    exact = LogisticRegression(C=1e6).fit(sample.features, sample.target)
    values = logistic.fit(sample, 1.0).values
    assert values["coefficients"]["a"] == pytest.approx(exact.coef_[0][0], abs=0.05)
    assert values["coefficients"]["b"] == pytest.approx(exact.coef_[0][1], abs=0.05)
    assert values["intercept"] == pytest.approx(exact.intercept_[0], abs=0.2)
    assert values["classes"] == ["no", "yes"] and values["positive"] == "yes"
    json.dumps(values, allow_nan=False)


@pytest.mark.parametrize("labels", [[], [0] * 50, [1] * 50])
def test_an_empty_or_single_class_input_still_gets_a_dp_answer(labels: list[int]) -> None:
    rows = len(labels)
    x = np.full((rows, 2), 5.0)
    sample = ModelInput(
        x,
        ("a", "b"),
        ((0, 10), (0, 10)),
        1,
        np.array(labels, dtype=np.int64),
        "c",
        None,
        ("n", "y"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = logistic.fit(sample, 0.5).values
    assert all(math.isfinite(v) for v in values["coefficients"].values())
    assert math.isfinite(values["intercept"]) and abs(values["intercept"]) < 1e6


def test_the_noise_is_fresh_and_seeded_runs_repeat() -> None:
    sample = data(2_000)
    assert logistic.fit(sample, 1.0).values != logistic.fit(sample, 1.0).values
    assert (
        logistic.fit(sample, 1.0, random_state=9).values
        == logistic.fit(sample, 1.0, random_state=9).values
    )


def test_parameters_are_validated_by_name() -> None:
    assert logistic.validate({}) == {"C": None, "max_iter": 1000, "tol": 1e-8}
    assert logistic.validate({"C": 10, "max_iter": 50})["C"] == 10
    cases: list[tuple[dict[str, object], str]] = [
        ({"C": 0}, "C must be between"),
        ({"max_iter": 1.5}, "max_iter must be an integer"),
        ({"penalty": "l1"}, "unknown parameter 'penalty'"),
        ({"C": "x"}, "C must be a number"),
    ]
    for bad, words in cases:
        with pytest.raises(InvalidQuery, match=words):
            logistic.validate(bad)


def test_every_row_the_library_sees_lies_in_the_unit_ball(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library's budget split is exact only for rows of norm at most 1 (see the module):
    the rows it is given, corners of the bounds and phantom rows included, never exceed it.
    """
    module = diffprivlib.models.logistic_regression
    real = module._logistic_regression_path
    seen: dict[str, float] = {}

    def spy(x: np.ndarray, y: np.ndarray, **kwargs: object) -> object:
        seen["norm"] = float(np.linalg.norm(x, axis=1).max())
        seen["data_norm"] = float(kwargs["data_norm"])  # type: ignore[arg-type]
        return real(x, y, **kwargs)

    monkeypatch.setattr(module, "_logistic_regression_path", spy)
    corners = np.array([[0.0, 10.0], [10.0, 10.0], [0.0, 0.0], [10.0, 0.0]] * 5)
    sample = ModelInput(
        corners,
        ("a", "b"),
        ((0, 10), (0, 10)),
        1,
        np.array([0, 1] * 10, dtype=np.int64),
        "c",
        None,
        ("no", "yes"),
    )
    logistic.fit(sample, 1.0)
    assert seen["data_norm"] == 1.0
    assert 0.99 < seen["norm"] <= 1.0


def test_the_default_regularisation_is_the_least_the_budget_split_allows() -> None:
    """At the default ``C`` the library adds no regulariser of its own and keeps half its
    epsilon for the noise: any larger ``C`` gives the same fit (it adds the difference back).
    """
    c = logistic.least_regularised(1.0)
    assert c == pytest.approx(4 * math.expm1(0.5))
    assert logistic.least_regularised(1e4) == logistic.MAX_C
    sample = data(5_000)
    default = logistic.fit(sample, 1.0, random_state=3).values
    assert default == logistic.fit(sample, 1.0, C=c, random_state=3).values
    larger = logistic.fit(sample, 1.0, C=1e3, random_state=3).values
    assert larger["coefficients"]["a"] == pytest.approx(default["coefficients"]["a"], rel=1e-3)
