"""DP Gaussian naive Bayes fitter: accuracy against scikit-learn's, released shape, refusals."""

from __future__ import annotations

import json

import numpy
import pytest
from sklearn.naive_bayes import GaussianNB  # type: ignore[import-untyped]

from sandbox.engine.models import naive_bayes
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.validation import InvalidQuery
from tests.engine.models.release_audit import leak_warnings_are_errors  # noqa: F401

MEANS = numpy.array([[2.0, 5.0], [5.0, 2.0], [8.0, 8.0]])
PRIORS = [0.5, 0.3, 0.2]
CLASSES = ("low", "mid", "high")


def labelled(rows: int = 20_000, seed: int = 1) -> ModelInput:
    rng = numpy.random.default_rng(seed)
    target = rng.choice(3, rows, p=PRIORS)
    features = numpy.clip(MEANS[target] + rng.normal(0.0, 1.5, (rows, 2)), 0.0, 10.0)
    return ModelInput(
        features=features,
        feature_names=("x", "y"),
        feature_bounds=((0.0, 10.0), (0.0, 10.0)),
        rows_per_unit=1,
        target=target,
        target_name="level",
        classes=CLASSES,
    )


def predict(fit: ModelFit, features: numpy.ndarray) -> numpy.ndarray:
    """The released model's predictions (log prior plus Gaussian log likelihoods)."""
    means = numpy.array(fit.values["means"])
    variances = numpy.array(fit.values["variances"])
    priors = numpy.array(fit.values["class_priors"])
    scores = numpy.log(priors)[None, :] - 0.5 * (
        numpy.log(2 * numpy.pi * variances)[None, :, :]
        + (features[:, None, :] - means[None, :, :]) ** 2 / variances[None, :, :]
    ).sum(axis=2)
    return numpy.argmax(scores, axis=1)


def test_predictions_match_the_non_private_model_at_a_large_epsilon() -> None:
    train, test = labelled(), labelled(5_000, seed=2)
    assert test.target is not None and train.target is not None
    exact = GaussianNB().fit(train.features, train.target)
    exact_accuracy = float((exact.predict(test.features) == test.target).mean())
    fit = naive_bayes.fit(train, 10.0, random_state=3)
    accuracy = float((predict(fit, test.features) == test.target).mean())
    assert accuracy >= exact_accuracy - 0.01
    assert numpy.allclose(fit.values["means"], exact.theta_, atol=0.1)
    assert numpy.allclose(fit.values["variances"], exact.var_, rtol=0.1)
    assert numpy.allclose(fit.values["class_priors"], exact.class_prior_, atol=0.01)


def test_epsilon_one_still_classifies() -> None:
    train, test = labelled(), labelled(5_000, seed=2)
    fit = naive_bayes.fit(train, 1.0, random_state=0)
    assert float((predict(fit, test.features) == test.target).mean()) > 0.8


def test_release_is_json_with_every_declared_class() -> None:
    data = labelled(300)
    assert data.target is not None
    only_two = ModelInput(
        features=data.features[data.target < 2],
        feature_names=data.feature_names,
        feature_bounds=data.feature_bounds,
        rows_per_unit=1,
        target=data.target[data.target < 2],
        target_name="level",
        classes=CLASSES,
    )
    fit = naive_bayes.fit(only_two, 1.0, random_state=0)
    assert fit.values["classes"] == list(CLASSES)
    assert numpy.array(fit.values["means"]).shape == (3, 2)
    assert numpy.array(fit.values["variances"]).shape == (3, 2)
    # The class without rows is released like the others: a count of at least one and
    # noisy moments inside the bounds, never an exact zero that would tell it is empty.
    assert fit.values["class_counts"][2] >= 1
    assert all(0.0 <= m <= 10.0 for m in fit.values["means"][2])
    assert sum(fit.values["class_priors"]) == pytest.approx(1.0)
    assert all(v > 0 for row in fit.values["variances"] for v in row)
    json.dumps(fit.values)
    json.dumps(dict(fit.details))
    assert sum(fit.details["epsilon_split"].values()) == pytest.approx(1.0)


def test_no_rows_is_no_error() -> None:
    fit = naive_bayes.fit(labelled(0), 1.0)
    assert len(fit.values["class_counts"]) == 3


def test_parameters_and_target_are_checked() -> None:
    assert naive_bayes.validate({}) == {}
    with pytest.raises(InvalidQuery, match="unknown parameter 'var_smoothing'"):
        naive_bayes.validate({"var_smoothing": 1e-9})
    data = labelled(20)
    one_class = ModelInput(
        features=data.features,
        feature_names=data.feature_names,
        feature_bounds=data.feature_bounds,
        rows_per_unit=1,
        target=numpy.zeros(20, dtype=numpy.int64),
        classes=("only",),
    )
    with pytest.raises(InvalidQuery, match="at least 2 declared classes"):
        naive_bayes.fit(one_class, 1.0)
    no_target = ModelInput(
        features=data.features,
        feature_names=data.feature_names,
        feature_bounds=data.feature_bounds,
        rows_per_unit=1,
        classes=CLASSES,
    )
    with pytest.raises(InvalidQuery, match="target"):
        naive_bayes.fit(no_target, 1.0)
    float_target = ModelInput(
        features=data.features,
        feature_names=data.feature_names,
        feature_bounds=data.feature_bounds,
        rows_per_unit=1,
        target=numpy.zeros(20),
        classes=CLASSES,
    )
    with pytest.raises(InvalidQuery, match="class index"):
        naive_bayes.fit(float_target, 1.0)
    with pytest.raises(InvalidQuery, match="epsilon"):
        naive_bayes.fit(data, float("nan"))
