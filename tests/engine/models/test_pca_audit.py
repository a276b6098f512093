"""Empirical privacy audit of DP PCA (see release_audit.py for the method).

D holds 400 rows on a horizontal line (half at each end of the x range, y at its middle);
D' adds one row at the top-right corner, which tilts the exact first principal axis
towards y by about 1/400. The statistic is the y entry of the released first component.
The planted break releases that component without noise (the exact top eigenvector of the
centred scatter matrix): the tilt is then there on D' every time and never on D.
"""

from __future__ import annotations

from typing import Any

import numpy
import pytest

from sandbox.engine.models import pca
from sandbox.engine.models.inputs import ModelFit, ModelInput
from tests.engine.models.release_audit import (
    audit,
    leak_warnings_are_errors,  # noqa: F401
    with_row,
)

EPSILON = 1.0
D = ModelInput(
    features=numpy.array([[0.0, 5.0], [10.0, 5.0]] * 200),
    feature_names=("x", "y"),
    feature_bounds=((0.0, 10.0), (0.0, 10.0)),
    rows_per_unit=1,
)
D_PRIME = with_row(D, (10.0, 10.0))
TILT = 1e-3


def run(data: ModelInput, seed: int) -> ModelFit:
    return pca.fit(data, EPSILON, n_components=1, random_state=seed)


def tilt_towards_y(fit: ModelFit) -> float:
    return float(fit.values["components"][0][1])


def test_observed_loss_stays_below_the_claim() -> None:
    observed = audit(run, D, D_PRIME, tilt_towards_y, trials=400, extra_thresholds=[TILT])
    assert observed <= EPSILON


def test_a_component_without_noise_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = pca.noisy_eigen

    def exact_first_component(
        rows: Any, epsilon: float, norm: float, components: int, random_state: Any
    ) -> Any:
        values, vectors = honest(rows, epsilon, norm, components, random_state)
        _, exact = numpy.linalg.eigh(rows.T @ rows)
        vectors = vectors.copy()
        vectors[0] = exact[:, -1]
        return values, vectors

    monkeypatch.setattr(pca, "noisy_eigen", exact_first_component)
    observed = audit(run, D, D_PRIME, tilt_towards_y, trials=200, extra_thresholds=[TILT])
    assert observed > EPSILON
