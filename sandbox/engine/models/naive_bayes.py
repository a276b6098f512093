"""DP Gaussian naive Bayes: noisy class counts, then diffprivlib's per-class means and variances.

diffprivlib's :class:`GaussianNB` (Vaidya et al. 2013) spends a third of epsilon on the
class counts, a third on the feature means and a third on the feature variances (each
feature of each class ``epsilon / (3 d)``: one row is in one class, so the classes compose
in parallel). The means and variances here are computed by its own
``_update_mean_variance`` (truncated Laplace on each class's coordinate sum, bounded-domain
Laplace on its sum of squared deviations from the noisy mean).

Done differently from ``GaussianNB.fit``, because its path is not DP for adding or
removing a row:

- Every *declared* class gets a noisy count, mean and variance, present in the data or
  not. diffprivlib only visits the labels it finds, so a class with no row would be
  released as exactly zero: one added row then changes a fixed output into a random one.
- The class counts are OpenDP discrete Laplace counts (sensitivity 1), floored at one;
  diffprivlib forces its noisy counts to add up to the true row count, which it takes as
  public.
- Features are centred at their public midpoints before the sums (see :mod:`fit_support`),
  so the library's sum sensitivity ``upper - lower`` is valid for an added row; the
  released means are shifted back.
- Variance smoothing is public (``1e-9`` times each feature's squared half-width), where
  scikit-learn scales it by the largest variance in the data.

Released: the declared classes, their noisy counts and the priors they imply, per-class
feature means and variances. Total: epsilon-DP for adding or removing one row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy

from sandbox.engine.models.diffprivlib_compat import VERSION, diffprivlib
from sandbox.engine.models.family import Family, Target
from sandbox.engine.models.fit_support import (
    Floats,
    centred,
    check_epsilon,
    check_features,
    float_list,
    noisy_counts,
    only_parameters,
    released,
    strict_library,
)
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.models.statistics import Gather
from sandbox.engine.report import Operation
from sandbox.engine.validation import InvalidQuery

CALL = "naive_bayes"
MECHANISM = (
    "diffprivlib GaussianNB (truncated Laplace means, bounded-domain Laplace variances) "
    "+ OpenDP discrete Laplace class counts"
)
SMOOTHING = 1e-9


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """Naive Bayes takes no parameters of its own (its features and target are the call's)."""
    only_parameters(CALL, params, ())
    return {}


def _target_indices(data: ModelInput) -> Any:
    """The target as class indices into the declared classes, checked."""
    if len(data.classes) < 2:
        raise InvalidQuery(
            "naive Bayes needs a categorical target with at least 2 declared classes"
        )
    if data.target is None:
        raise InvalidQuery(f"{CALL}() needs a target column y")
    target = numpy.asarray(data.target)
    if target.shape != (data.rows,) or not numpy.issubdtype(target.dtype, numpy.integer):
        raise InvalidQuery(f"{CALL}(): the target must be one class index per row")
    return target


def _library_model(epsilon: float, half: Floats, random_state: int | None) -> Any:
    """The library's GaussianNB set up for the centred box ``[-half, half]``."""
    model = diffprivlib.models.GaussianNB(
        epsilon=epsilon,
        bounds=(-half, half),
        random_state=random_state,
        accountant=diffprivlib.accountant.BudgetAccountant(),
    )
    model.bounds = model._check_bounds(model.bounds, shape=len(half))
    return model


def class_moments(model: Any, members: Floats, noisy_count: int, rng: Any) -> tuple[Floats, Floats]:
    """One class's noisy feature means and variances (diffprivlib's own update)."""
    dims = members.shape[1]
    mean, variance = model._update_mean_variance(
        0, numpy.zeros(dims), numpy.zeros(dims), members, random_state=rng, n_noisy=noisy_count
    )
    return numpy.asarray(mean, dtype=numpy.float64), numpy.asarray(variance, dtype=numpy.float64)


def class_sums(part: ModelInput) -> tuple[Floats, Floats, Floats]:
    """One part's exact per-class row counts, coordinate sums and sums of squares of the
    midpoint-centred features (declared classes only). Sums over disjoint rows add up.
    """
    lower, upper = check_features(part, CALL)
    target = _target_indices(part)
    rows = centred(part, lower, upper)[0]
    classes = len(part.classes)
    in_range = (target >= 0) & (target < classes)
    rows, target = rows[in_range], target[in_range]
    counts = numpy.bincount(target, minlength=classes).astype(numpy.float64)
    sums = numpy.zeros((classes, rows.shape[1]))
    squares = numpy.zeros((classes, rows.shape[1]))
    numpy.add.at(sums, target, rows)
    numpy.add.at(squares, target, rows**2)
    return counts, sums, squares


def class_moments_of_sums(
    model: Any, count: int, total: Floats, squares: Floats, noisy_count: int, rng: Any
) -> tuple[Floats, Floats]:
    """:func:`class_moments` from a class's exact count, sums and sums of squares.

    ``diffprivlib``'s ``_update_mean_variance`` (from no earlier data) uses a class's rows
    only through each feature's sum and its sum of squared deviations from the noisy mean,
    ``sum (x - mu)^2 = sum x^2 - 2 mu sum x + n mu^2``; this is its loop on those sums, with
    the mechanisms of its module (``LaplaceTruncated`` sums, ``LaplaceBoundedDomain``
    deviations), the same epsilon, domains and order of draws.
    """
    module = diffprivlib.models.naive_bayes
    dims = total.shape[0]
    local_epsilon = model.epsilon / 3 / dims
    means, variances = numpy.zeros(dims), numpy.zeros(dims)
    for feature in range(dims):
        lower, upper = model.bounds[0][feature], model.bounds[1][feature]
        mech_mu = module.LaplaceTruncated(
            epsilon=local_epsilon,
            delta=0,
            sensitivity=upper - lower,
            lower=lower * noisy_count,
            upper=upper * noisy_count,
            random_state=rng,
        )
        mean = mech_mu.randomise(float(total[feature])) / noisy_count
        sensitivity = max(mean - lower, upper - mean) ** 2
        mech_var = module.LaplaceBoundedDomain(
            epsilon=local_epsilon,
            delta=0,
            sensitivity=sensitivity,
            lower=0,
            upper=sensitivity * noisy_count,
            random_state=rng,
        )
        deviations = float(squares[feature] - 2 * mean * total[feature] + count * mean**2)
        variances[feature] = mech_var.randomise(max(deviations, 0.0)) / noisy_count
        means[feature] = mean
    return means, variances


def fit_distributed(
    gather: Gather, public: ModelInput, epsilon: float, *, random_state: int | None = None
) -> ModelFit:
    """:func:`fit` from the per-class counts and sums ``gather`` adds up over the rows."""
    epsilon = check_epsilon(epsilon)
    lower, upper = check_features(public, CALL)
    _target_indices(public)
    counts, sums, squares = gather(class_sums, ())

    def moments(model: Any, index: int, noisy_count: int, rng: Any) -> tuple[Floats, Floats]:
        return class_moments_of_sums(
            model, int(counts[index]), sums[index], squares[index], noisy_count, rng
        )

    return _fitted(public, epsilon, counts, moments, random_state)


def fit(data: ModelInput, epsilon: float, *, random_state: int | None = None) -> ModelFit:
    """Fit DP Gaussian naive Bayes of the target's classes on the numeric features.

    Args:
        data: Clipped features with public bounds; the target as indices into ``classes``.
        epsilon: Per-row epsilon (the charge over ``rows_per_unit``).
        random_state: Seed of diffprivlib's noise, for tests only (the class counts' OpenDP
            noise is never seeded).
    """
    epsilon = check_epsilon(epsilon)
    lower, upper = check_features(data, CALL)
    target = _target_indices(data)
    rows = centred(data, lower, upper)[0]
    classes = len(data.classes)
    in_range = (target >= 0) & (target < classes)
    rows, target = rows[in_range], target[in_range]

    def moments(model: Any, index: int, noisy_count: int, rng: Any) -> tuple[Floats, Floats]:
        return class_moments(model, rows[target == index], noisy_count, rng)

    return _fitted(data, epsilon, numpy.bincount(target, minlength=classes), moments, random_state)


def _fitted(
    data: ModelInput,
    epsilon: float,
    exact_counts: Any,
    moments: Callable[[Any, int, int, Any], tuple[Floats, Floats]],
    random_state: int | None,
) -> ModelFit:
    """The release from the exact class counts and ``moments(model, class, noisy count,
    rng)``, a class's noisy means and variances (the rows of ``data`` are not read here).
    """
    lower, upper = check_features(data, CALL)
    middle, half = (lower + upper) / 2.0, (upper - lower) / 2.0
    classes = len(data.classes)
    counts = noisy_counts(numpy.asarray(exact_counts), epsilon / 3.0)
    counts = [max(1, count) for count in counts]
    smoothing = SMOOTHING * half**2
    means, variances = [], []
    with strict_library():
        model = _library_model(epsilon, half, random_state)
        rng = diffprivlib.utils.check_random_state(random_state)
        for index in range(classes):
            mean, variance = moments(model, index, counts[index], rng)
            means.append(mean + middle)
            variances.append(numpy.maximum(variance, 0.0) + smoothing)
    total = float(sum(counts))
    return ModelFit(
        values={
            "classes": list(data.classes),
            "class_counts": counts,
            "class_priors": [released(count / total) for count in counts],
            "means": float_list(numpy.array(means)),
            "variances": float_list(numpy.array(variances)),
            "features": list(data.feature_names),
        },
        mechanism=MECHANISM,
        epsilon=epsilon,
        details={
            "library": f"diffprivlib {VERSION}",
            "privacy": "epsilon-DP, adding or removing one row",
            "epsilon_split": {
                "class_counts": epsilon / 3.0,
                "means": epsilon / 3.0,
                "variances": epsilon / 3.0,
            },
            "variance_smoothing": float_list(smoothing),
            "centring": "public midpoints of the bounds",
        },
    )


FAMILY = Family(
    Operation.NAIVE_BAYES,
    fit,
    validate,
    Target.CATEGORICAL,
    one_hot=False,
    distributed=fit_distributed,
)
"""The registry entry: a categorical target, numeric features only (Gaussian likelihoods)."""
