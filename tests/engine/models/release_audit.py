"""Empirical privacy audit of a model fitter (threshold tests, Clopper-Pearson), as in
tests/engine/test_audit.py: a fitter runs many times, with diffprivlib seeded run by run, on
a dataset D and on its neighbour D' = D + one row; a scalar of each release is compared
with thresholds, and for each event the (1 - ALPHA)-confidence lower bound on epsilon must
stay below the fitter's claim. A broken fitter (noise left out somewhere) must be caught
by the same test.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy
import pytest

from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from tests.engine.stats import epsilon_lower_bound

ALPHA = 1e-6

Fitter = Callable[[ModelInput, int], Any]
"""One run of a fitter on a dataset with a seed (a ModelFit, or anything its statistic reads)."""

Statistic = Callable[[Any], float]


@pytest.fixture(autouse=True)
def leak_warnings_are_errors() -> Iterator[None]:
    """diffprivlib's PrivacyLeakWarning fails the test (it means bounds came from data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", diffprivlib.utils.PrivacyLeakWarning)
        yield


def samples(fitter: Fitter, data: ModelInput, statistic: Statistic, trials: int) -> numpy.ndarray:
    """``statistic`` of ``trials`` releases, diffprivlib seeded 0 .. trials - 1."""
    return numpy.array([statistic(fitter(data, seed)) for seed in range(trials)])


def observed_epsilon(
    on_d: numpy.ndarray, on_d_prime: numpy.ndarray, thresholds: Sequence[float]
) -> float:
    """The largest lower bound on epsilon over the events ``{S > t}`` and ``{S <= t}``.

    Both directions of both neighbours are tested (pure DP bounds each ratio). Few
    thresholds keep the union of the tests near the nominal confidence.
    """
    trials = len(on_d)
    assert len(on_d_prime) == trials
    bound = 0.0
    for threshold in thresholds:
        above = int(numpy.count_nonzero(on_d > threshold))
        above_prime = int(numpy.count_nonzero(on_d_prime > threshold))
        below, below_prime = trials - above, trials - above_prime
        bound = max(
            bound,
            epsilon_lower_bound(above_prime, above, trials, ALPHA),
            epsilon_lower_bound(above, above_prime, trials, ALPHA),
            epsilon_lower_bound(below_prime, below, trials, ALPHA),
            epsilon_lower_bound(below, below_prime, trials, ALPHA),
        )
    return bound


def audit(
    fitter: Fitter,
    d: ModelInput,
    d_prime: ModelInput,
    statistic: Statistic,
    trials: int,
    extra_thresholds: Sequence[float] = (),
) -> float:
    """The observed epsilon of ``fitter`` between ``d`` and ``d_prime`` for one statistic."""
    return audits(fitter, d, d_prime, [(statistic, extra_thresholds)], trials)[0]


def audits(
    fitter: Fitter,
    d: ModelInput,
    d_prime: ModelInput,
    statistics: Sequence[tuple[Statistic, Sequence[float]]],
    trials: int,
) -> list[float]:
    """The observed epsilon of each statistic over the same ``trials`` runs on each side.

    Thresholds: the deciles of the pooled samples (where a real difference shows), plus the
    ones given with the statistic (where a broken mechanism's point mass sits).
    """
    fits_d = [fitter(d, seed) for seed in range(trials)]
    fits_d_prime = [fitter(d_prime, seed) for seed in range(trials)]
    observed = []
    for statistic, extra in statistics:
        on_d = numpy.array([statistic(fit) for fit in fits_d])
        on_d_prime = numpy.array([statistic(fit) for fit in fits_d_prime])
        pooled = numpy.concatenate([on_d, on_d_prime])
        deciles = [float(q) for q in numpy.quantile(pooled, [0.1, 0.3, 0.5, 0.7, 0.9])]
        observed.append(observed_epsilon(on_d, on_d_prime, [*deciles, *extra]))
    return observed


def with_row(data: ModelInput, row: Sequence[float], target: int | None = None) -> ModelInput:
    """``data`` plus one row (the neighbour D')."""
    features = numpy.vstack([data.features, numpy.asarray([row], dtype=numpy.float64)])
    new_target = None
    if data.target is not None:
        assert target is not None
        new_target = numpy.concatenate([data.target, numpy.asarray([target])])
    return ModelInput(
        features=features,
        feature_names=data.feature_names,
        feature_bounds=data.feature_bounds,
        rows_per_unit=data.rows_per_unit,
        target=new_target,
        target_name=data.target_name,
        classes=data.classes,
    )
