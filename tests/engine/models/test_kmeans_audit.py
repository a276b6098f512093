"""Empirical privacy audit of DP k-means (see release_audit.py for the method).

D holds 30 rows at the centre of the box; D' adds one row at its far corner. The statistic
is the largest first coordinate over the released centroids, the one the added row pulls.
Planted breaks, each caught by the same audit:
- the sum of the first coordinate left without noise (the centroid is then exactly the
  midpoint on D, and never on D');
- diffprivlib's own update, which leaves a cluster with no rows where it was (on D one
  cluster is always empty; on D' the far row often lands in it and moves it).
"""

from __future__ import annotations

from typing import Any

import numpy
import pytest

from sandbox.engine.models import kmeans
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelFit, ModelInput
from tests.engine.models.release_audit import (
    audit,
    leak_warnings_are_errors,  # noqa: F401
    observed_epsilon,
    samples,
    with_row,
)

EPSILON = 1.0
D = ModelInput(
    features=numpy.full((30, 2), 5.0),
    feature_names=("x", "y"),
    feature_bounds=((0.0, 10.0), (0.0, 10.0)),
    rows_per_unit=1,
)
D_PRIME = with_row(D, (10.0, 10.0))


def run(data: ModelInput, seed: int) -> ModelFit:
    return kmeans.fit(data, EPSILON, k=2, iterations=1, random_state=seed)


def largest_first_coordinate(fit: ModelFit) -> float:
    return max(float(row[0]) for row in fit.values["centroids"])


def test_observed_loss_stays_below_the_claim() -> None:
    observed = audit(run, D, D_PRIME, largest_first_coordinate, trials=400, extra_thresholds=[5.0])
    assert observed <= EPSILON


def test_a_coordinate_sum_without_noise_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = kmeans.noisy_cluster_sum

    def first_coordinate_exact(
        cluster_sum: Any, noisy_count: float, half: Any, epsilon_i: float, random_state: Any
    ) -> Any:
        noisy = honest(cluster_sum, noisy_count, half, epsilon_i, random_state)
        noisy[0] = cluster_sum[0]
        return noisy

    monkeypatch.setattr(kmeans, "noisy_cluster_sum", first_coordinate_exact)
    on_d = samples(run, D, largest_first_coordinate, 50)
    assert (on_d == 5.0).all()  # the break: an exact centroid coordinate
    observed = audit(run, D, D_PRIME, largest_first_coordinate, trials=200, extra_thresholds=[5.0])
    assert observed > EPSILON


def test_the_librarys_skipping_of_empty_clusters_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    honest_step = kmeans._lloyd_step

    def skipping_empty_clusters(
        model: Any, rows: Any, centres: Any, labels: Any, half: Any, iterations: int, rng: Any
    ) -> Any:
        updated = honest_step(model, rows, centres, labels, half, iterations, rng)
        for cluster in range(model.n_clusters):
            if cluster not in labels:  # diffprivlib's KMeans._update_centers: `continue`
                updated[cluster, :] = centres[cluster, :]
        return updated

    monkeypatch.setattr(kmeans, "_lloyd_step", skipping_empty_clusters)
    initial = {seed: _initial_centres(seed) for seed in range(200)}

    def centroids_left_in_place(seed_and_fit: tuple[int, ModelFit]) -> float:
        seed, fit = seed_and_fit
        released = numpy.array(fit.values["centroids"])
        return float(numpy.isclose(released, initial[seed] + 5.0, atol=1e-6).all(axis=1).sum())

    def seeded(data: ModelInput, seed: int) -> Any:
        return (seed, run(data, seed))

    observed = audit(
        seeded,
        D,
        D_PRIME,
        centroids_left_in_place,
        trials=200,
        extra_thresholds=[0.5],
    )
    assert observed > EPSILON


def _initial_centres(seed: int) -> Any:
    """The centres the seeded run starts from, in centred coordinates (data-independent)."""
    half = numpy.array([5.0, 5.0])
    model = kmeans._lloyd_model(2, EPSILON, half, seed)
    return model._init_centers(2, random_state=diffprivlib.utils.check_random_state(seed))


@pytest.mark.slow  # about 45 s on the shared machine: 30,000 bounded-domain Laplace draws
def test_one_noisy_sum_is_calibrated_for_an_added_row_near_the_domain_edge() -> None:
    """A tighter audit of one coordinate sum of one step (the mechanism the fit repeats).

    Centred values lie in [-half, half]; D sums five rows to one half-width below the top
    of the domain, D' adds a row at the edge. The claim is the sum's budget ``epsilon_i``
    (diffprivlib calibrates for ``2 * half``, a changed row, so an added row should cost
    about half of it). A sum calibrated for a tenth of that sensitivity is caught.
    """
    half, count, epsilon_i, trials = numpy.array([5.0]), 5.0, 1.0, 15_000
    rng = numpy.random.RandomState(0)
    total, added = numpy.array([20.0]), numpy.array([25.0])

    def honest(value: Any) -> float:
        return float(kmeans.noisy_cluster_sum(value, count, half, epsilon_i, rng)[0])

    observed = tail_audit(
        [honest(total) for _ in range(trials)], [honest(added) for _ in range(trials)]
    )
    assert 0.1 <= observed <= epsilon_i

    narrow = diffprivlib.mechanisms.LaplaceBoundedDomain(
        epsilon=epsilon_i, sensitivity=1.0, lower=-25.0, upper=25.0, random_state=rng
    )
    broken = tail_audit(
        [narrow.randomise(20.0) for _ in range(3_000)],
        [narrow.randomise(25.0) for _ in range(3_000)],
    )
    assert broken > epsilon_i


def tail_audit(on_d: list[float], on_d_prime: list[float]) -> float:
    """Observed epsilon at thresholds from the tails to the middle of the pooled draws."""
    pooled = numpy.concatenate([on_d, on_d_prime])
    thresholds = [float(q) for q in numpy.quantile(pooled, [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98])]
    return observed_epsilon(numpy.array(on_d), numpy.array(on_d_prime), thresholds)
