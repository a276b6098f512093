"""Empirical privacy audit of DP naive Bayes (see release_audit.py for the method).

D holds 30 rows of each of two classes at the centre of the box; D' adds one row of the
first class at the far corner. The statistic is that class's released mean of the first
feature. The planted break leaves that mean without noise: it is then exactly the
midpoint on D and never on D'. A second statistic, the first class's released count,
audits the class counts on their own.
"""

from __future__ import annotations

from typing import Any

import numpy
import pytest

from sandbox.engine.models import naive_bayes
from sandbox.engine.models.inputs import ModelFit, ModelInput
from tests.engine.models.release_audit import (
    audit,
    audits,
    leak_warnings_are_errors,  # noqa: F401
    with_row,
)

EPSILON = 1.0
D = ModelInput(
    features=numpy.full((60, 2), 5.0),
    feature_names=("x", "y"),
    feature_bounds=((0.0, 10.0), (0.0, 10.0)),
    rows_per_unit=1,
    target=numpy.array([0, 1] * 30),
    target_name="label",
    classes=("a", "b"),
)
D_PRIME = with_row(D, (10.0, 10.0), target=0)


def run(data: ModelInput, seed: int) -> ModelFit:
    return naive_bayes.fit(data, EPSILON, random_state=seed)


def first_mean(fit: ModelFit) -> float:
    return float(fit.values["means"][0][0])


def first_count(fit: ModelFit) -> float:
    return float(fit.values["class_counts"][0])


def test_observed_loss_stays_below_the_claim() -> None:
    statistics = [(first_mean, [5.0]), (first_count, [])]
    observed = audits(run, D, D_PRIME, statistics, trials=400)
    assert max(observed) <= EPSILON


def test_a_class_mean_without_noise_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = naive_bayes.class_moments

    def first_feature_exact(model: Any, members: Any, noisy_count: int, rng: Any) -> Any:
        mean, variance = honest(model, members, noisy_count, rng)
        mean = mean.copy()
        mean[0] = members[:, 0].sum() / noisy_count
        return mean, variance

    monkeypatch.setattr(naive_bayes, "class_moments", first_feature_exact)
    observed = audit(run, D, D_PRIME, first_mean, trials=200, extra_thresholds=[5.0])
    assert observed > EPSILON
