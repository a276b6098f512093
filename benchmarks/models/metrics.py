"""Each family's error of a released model against the non-private one, from released values.

Contenders return what they released (coefficients, centroids, components, class means,
synthetic rows); the harness scores them here against the non-private scikit-learn fit on
the same rows, so every contender is scored by the same code:

- ``linear`` / ``logistic``: relative L2 error of the coefficients (intercept excluded),
  ``|b - b*| / |b*|``; the intercept's absolute error is kept apart.
- ``kmeans``: cost ratio, the sum of squared distances of the rows to their nearest released
  centroid over that to scikit-learn's centroids; the error is the excess, ``ratio - 1``.
- ``pca``: subspace error ``|P - P*|_F / sqrt(2k)`` of the projections on the released and
  the non-private ``k`` components (0: the same subspace, 1: orthogonal); the explained
  variance ratio's largest absolute error is kept apart.
- ``naive_bayes``: accuracy on the held-out rows; the error is ``1 - accuracy`` (the
  Bayes error of the mixture is part of every contender's, the floor's too).
- ``synth``: total variation distance, ``0.5 * sum |p - q|``, between the real table's and
  the synthetic table's distribution, averaged over all 1-way and all 2-way marginals (max
  kept apart).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


def coefficient_error(released: Sequence[float], exact: Sequence[float]) -> float:
    """``|released - exact|_2 / |exact|_2``."""
    a, b = np.asarray(released, dtype=float), np.asarray(exact, dtype=float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def kmeans_cost(rows: Floats, centroids: Sequence[Sequence[float]]) -> float:
    """Sum over rows of the squared distance to the nearest centroid (in row blocks)."""
    centres = np.asarray(centroids, dtype=float)
    total = 0.0
    for start in range(0, rows.shape[0], 200_000):
        block = rows[start : start + 200_000]
        distances = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        total += float(distances.min(axis=1).sum())
    return total


def subspace_error(
    components: Sequence[Sequence[float]], exact: Sequence[Sequence[float]]
) -> float:
    """``|U U^T - V V^T|_F / sqrt(2k)`` for ``k`` components (rows), orthonormalised first."""
    u, _ = np.linalg.qr(np.asarray(components, dtype=float).T)
    v, _ = np.linalg.qr(np.asarray(exact, dtype=float).T)
    k = u.shape[1]
    return float(np.linalg.norm(u @ u.T - v @ v.T) / math.sqrt(2 * k))


def naive_bayes_accuracy(
    model: Mapping[str, Any], rows: Floats, classes: npt.NDArray[np.int64]
) -> float:
    """Accuracy on ``rows`` of a Gaussian naive Bayes given by its released parameters.

    ``model``: ``theta`` (class x feature means), ``var`` (variances), ``prior`` (class
    priors, any non-negative weights).
    """
    theta = np.asarray(model["theta"], dtype=float)
    var = np.maximum(np.asarray(model["var"], dtype=float), 1e-9)
    prior = np.maximum(np.asarray(model["prior"], dtype=float), 1e-12)
    prior = prior / prior.sum()
    log_likelihood = -0.5 * (
        np.log(2 * np.pi * var)[None, :, :]
        + (rows[:, None, :] - theta[None, :, :]) ** 2 / var[None, :, :]
    ).sum(axis=2)
    predicted = np.argmax(log_likelihood + np.log(prior)[None, :], axis=1)
    return float(np.mean(predicted == classes))


def marginals(codes: npt.NDArray[np.int64], sizes: Sequence[int]) -> dict[tuple[int, ...], Floats]:
    """Every 1-way and 2-way marginal of integer-coded rows, as probability vectors."""
    out: dict[tuple[int, ...], Floats] = {}
    rows = max(codes.shape[0], 1)
    for i in range(len(sizes)):
        out[(i,)] = np.bincount(codes[:, i], minlength=sizes[i]) / rows
    for i, j in itertools.combinations(range(len(sizes)), 2):
        flat = codes[:, i] * sizes[j] + codes[:, j]
        out[(i, j)] = np.bincount(flat, minlength=sizes[i] * sizes[j]) / rows
    return out


def total_variation(
    real: Mapping[tuple[int, ...], Floats], synthetic: Mapping[tuple[int, ...], Floats]
) -> dict[str, float]:
    """Mean and max TVD over the 1-way and over the 2-way marginals, and over all of them."""
    one = [0.5 * float(np.abs(real[k] - synthetic[k]).sum()) for k in real if len(k) == 1]
    two = [0.5 * float(np.abs(real[k] - synthetic[k]).sum()) for k in real if len(k) == 2]
    both = one + two
    return {
        "tvd_mean": float(np.mean(both)),
        "tvd_max": float(np.max(both)),
        "tvd_1way_mean": float(np.mean(one)),
        "tvd_2way_mean": float(np.mean(two)),
    }
