"""DP k-means: diffprivlib's DPLloyd centroids and OpenDP cluster sizes.

The centroids come from diffprivlib's :class:`KMeans` (DPLloyd of Su et al. 2016): random
initial centres inside the public bounds, then ``iterations`` Lloyd steps whose per-cluster
count (folded geometric) and per-coordinate sum (bounded-domain Laplace) are noised, each
step's budget split between the count and the ``d`` sums as Su et al. do.

Four things are done differently from calling ``KMeans.fit`` directly, each because the
library's own path is not differentially private for adding or removing a row:

- The number of Lloyd steps is a public parameter. diffprivlib derives it from the true row
  count (``_calc_iters``), so the released number of steps, and every step's noise scale,
  would depend on the data.
- Every cluster is updated with noise, empty ones too. diffprivlib skips a cluster with no
  rows, leaving its centre exactly where it was: one added row then changes that centre
  from a fixed point to a random one, an event of probability 0 against 1.
- Each step's budget is split between the count and the sums in the order Su et al. (and
  diffprivlib's docstring) give; diffprivlib's code swaps the two shares, which overspends
  the step for five features or more (see :func:`step_split`).
- The data are centred at the public midpoints (see :mod:`fit_support`), which makes the
  library's sum sensitivity ``upper - lower`` valid for an added row; and a dataset with
  fewer rows than clusters is no error (the library raises one, which depends on the data).

Budget: ``(1 - size_share) * epsilon`` for the Lloyd steps (``/ iterations`` each), and
``size_share * epsilon`` for the released cluster sizes, a histogram of the rows' nearest
released centroid, noised by OpenDP's discrete Laplace (sensitivity 1). Total: epsilon-DP
for adding or removing one row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    integer_parameter,
    noisy_counts,
    only_parameters,
    share_parameter,
    strict_library,
)
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.models.statistics import Gather
from sandbox.engine.report import Operation
from sandbox.engine.validation import InvalidQuery

CALL = "kmeans"
PARAMETERS = ("k", "iterations", "size_share")
SU_RHO = 0.225
"""Su et al.'s coordinate normalisation constant (diffprivlib's default)."""
MAX_CLUSTERS = 50
MAX_ITERATIONS = 20
MECHANISM = (
    "diffprivlib KMeans (DPLloyd: folded geometric counts, bounded-domain Laplace sums) "
    "+ OpenDP discrete Laplace cluster sizes"
)


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """``k`` (required, 2 to 50), ``iterations`` (default 5), ``size_share`` (default 0.1)."""
    only_parameters(CALL, params, PARAMETERS)
    if "k" not in params:
        raise InvalidQuery(f"{CALL}(): k=<number of clusters, 2 to {MAX_CLUSTERS}> is required")
    return {
        "k": integer_parameter(CALL, "k", params["k"], low=2, high=MAX_CLUSTERS),
        "iterations": integer_parameter(
            CALL, "iterations", params.get("iterations", 5), low=1, high=MAX_ITERATIONS
        ),
        "size_share": share_parameter(CALL, "size_share", params.get("size_share", 0.1), high=0.5),
    }


def _lloyd_model(clusters: int, epsilon: float, half: Floats, random_state: int | None) -> Any:
    """The library's k-means over the centred box ``[-half, half]`` (its own accountant)."""
    model = diffprivlib.models.KMeans(
        n_clusters=clusters,
        epsilon=epsilon,
        bounds=(-half, half),
        random_state=random_state,
        accountant=diffprivlib.accountant.BudgetAccountant(),
    )
    model.bounds = model._check_bounds(model.bounds, len(half), min_separation=1e-5)
    return model


def noisy_cluster_sum(
    cluster_sum: Floats, noisy_count: float, half: Floats, epsilon_i: float, random_state: Any
) -> Floats:
    """One cluster's coordinate sums, each with diffprivlib's bounded-domain Laplace.

    Sensitivity ``2 * half`` (diffprivlib's ``upper - lower``); one added row moves a
    centred sum by at most ``half``. The domain is the box the sum of ``noisy_count``
    centred rows can lie in, so the centroid stays inside the bounds.
    """
    noisy = numpy.zeros_like(cluster_sum)
    for i, total in enumerate(cluster_sum):
        mechanism = diffprivlib.mechanisms.LaplaceBoundedDomain(
            epsilon=epsilon_i,
            sensitivity=2.0 * half[i],
            lower=-noisy_count * half[i],
            upper=noisy_count * half[i],
            random_state=random_state,
        )
        noisy[i] = mechanism.randomise(float(total))
    return noisy


def step_split(step_epsilon: float, dims: int) -> tuple[float, float]:
    """One Lloyd step's budget: ``(count, each coordinate sum)``, adding up to the step's.

    Su et al.'s ratio of the count's share to a coordinate's is ``(4 d rho^2)^(1/3)``,
    ``rho = 0.225``, which diffprivlib's ``KMeans._split_epsilon`` also computes, but it
    returns the two shares in the opposite order to the one its caller unpacks: the count
    gets a coordinate's share and every coordinate the count's. The step then spends
    ``(1 + d r) / (d + r)`` times its budget, more than it for ``d >= 5`` (1.2 times at 10
    features, 1.8 at 32). The shares here are in the documented order, scaled down by one
    part in 10^12 so that their float sum never exceeds the step's budget.
    """
    ratio = float(numpy.cbrt(4.0 * dims * SU_RHO**2))
    unit = step_epsilon / (dims + ratio) * (1.0 - 1e-12)
    return ratio * unit, unit


def _lloyd_step(
    model: Any, rows: Floats, centres: Floats, labels: Any, half: Floats, iterations: int, rng: Any
) -> Floats:
    """One DPLloyd update of every centre (diffprivlib's mechanisms, Su et al.'s split)."""
    dims = rows.shape[1]
    counts, sums = [], []
    for cluster in range(model.n_clusters):
        members = rows[labels == cluster]
        counts.append(int(members.shape[0]))
        sums.append(numpy.sum(members, axis=0) if members.shape[0] else numpy.zeros(dims))
    return noisy_update(model, counts, numpy.array(sums), centres, half, iterations, rng)


def noisy_update(
    model: Any,
    counts: Sequence[int],
    sums: Floats,
    centres: Floats,
    half: Floats,
    iterations: int,
    rng: Any,
) -> Floats:
    """Every centre from its cluster's exact row count and coordinate sums, noised (the
    count, then its sums, cluster after cluster: the order of draws is the same whether the
    sums come from the rows in one process or from per-fragment statistics).
    """
    dims = centres.shape[1]
    epsilon_count, epsilon_i = step_split(model.epsilon / iterations, dims)
    counting = diffprivlib.mechanisms.GeometricFolded(
        epsilon=epsilon_count, sensitivity=1, lower=0.5, upper=float("inf"), random_state=rng
    )
    updated = centres.copy()
    for cluster in range(model.n_clusters):
        noisy_count = float(counting.randomise(int(counts[cluster])))
        updated[cluster, :] = noisy_cluster_sum(
            sums[cluster], noisy_count, half, epsilon_i, rng
        ) / (noisy_count)
    return updated


def cluster_sums(part: ModelInput, centres: Floats) -> tuple[Floats, Floats]:
    """One part's exact row count and coordinate sums per cluster of its nearest centre in
    ``centres`` (the library's own assignment), of the midpoint-centred rows. Sums over
    disjoint rows add up.
    """
    lower, upper = check_features(part, CALL)
    rows = centred(part, lower, upper)[0]
    clusters = centres.shape[0]
    labeller = diffprivlib.models.KMeans(n_clusters=clusters)
    _, labels = labeller._distances_labels(rows, centres)
    counts = numpy.bincount(labels, minlength=clusters).astype(numpy.float64)
    sums = numpy.zeros((clusters, rows.shape[1]))
    numpy.add.at(sums, labels, rows)
    return counts, sums


def fit_distributed(
    gather: Gather,
    public: ModelInput,
    epsilon: float,
    *,
    k: int,
    iterations: int = 5,
    size_share: float = 0.1,
    random_state: int | None = None,
) -> ModelFit:
    """:func:`fit` with each Lloyd step's per-cluster counts and sums, and the final
    assignment's counts, added up by ``gather`` over the rows (one round of tasks per step:
    the step's centres are public by then, a DP output of the step before).
    """
    epsilon = check_epsilon(epsilon)
    params = validate({"k": k, "iterations": iterations, "size_share": size_share})
    clusters, iterations, size_share = params["k"], params["iterations"], params["size_share"]
    lower, upper = check_features(public, CALL)
    middle, half = (lower + upper) / 2.0, (upper - lower) / 2.0
    lloyd_epsilon = (1.0 - size_share) * epsilon
    with strict_library():
        model = _lloyd_model(clusters, lloyd_epsilon, half, random_state)
        rng = diffprivlib.utils.check_random_state(random_state)
        centres = model._init_centers(len(half), random_state=rng)
        for _ in range(iterations):
            counts, sums = gather(cluster_sums, (centres,))
            exact = [int(c) for c in counts]
            centres = noisy_update(model, exact, sums, centres, half, iterations, rng)
        final, _ = gather(cluster_sums, (centres,))
    sizes = noisy_counts(final.astype(numpy.int64), size_share * epsilon)
    return _released(public, centres, middle, sizes, clusters, iterations, epsilon, size_share)


def fit(
    data: ModelInput,
    epsilon: float,
    *,
    k: int,
    iterations: int = 5,
    size_share: float = 0.1,
    random_state: int | None = None,
) -> ModelFit:
    """Fit DP k-means on the features; release centroids and noisy cluster sizes.

    Args:
        data: The clipped feature matrix and its public bounds (no target).
        epsilon: Per-row epsilon (the charge over ``rows_per_unit``).
        k: Number of clusters (2 to 50).
        iterations: Public number of DPLloyd steps (1 to 20); more steps split the budget
            thinner.
        size_share: Part of epsilon spent on the released cluster sizes (0 to 0.5].
        random_state: Seed of the initial centres and diffprivlib's noise, for tests only;
            ``None`` (production) draws diffprivlib's noise from ``secrets.SystemRandom``.
    """
    epsilon = check_epsilon(epsilon)
    params = validate({"k": k, "iterations": iterations, "size_share": size_share})
    clusters, iterations, size_share = params["k"], params["iterations"], params["size_share"]
    lower, upper = check_features(data, CALL)
    rows, middle, half = centred(data, lower, upper)
    lloyd_epsilon = (1.0 - size_share) * epsilon
    with strict_library():
        model = _lloyd_model(clusters, lloyd_epsilon, half, random_state)
        rng = diffprivlib.utils.check_random_state(random_state)
        centres = model._init_centers(rows.shape[1], random_state=rng)
        for _ in range(iterations):
            _, labels = model._distances_labels(rows, centres)
            centres = _lloyd_step(model, rows, centres, labels, half, iterations, rng)
        _, labels = model._distances_labels(rows, centres)
    sizes = noisy_counts(numpy.bincount(labels, minlength=clusters), size_share * epsilon)
    return _released(data, centres, middle, sizes, clusters, iterations, epsilon, size_share)


def _released(
    data: ModelInput,
    centres: Floats,
    middle: Floats,
    sizes: list[int],
    clusters: int,
    iterations: int,
    epsilon: float,
    size_share: float,
) -> ModelFit:
    """The release: the centroids back in the data's coordinates, the noisy sizes."""
    lloyd_epsilon = (1.0 - size_share) * epsilon
    return ModelFit(
        values={
            "centroids": float_list(centres + middle),
            "cluster_sizes": sizes,
            "features": list(data.feature_names),
        },
        mechanism=MECHANISM,
        epsilon=epsilon,
        details={
            "library": f"diffprivlib {VERSION}",
            "privacy": "epsilon-DP, adding or removing one row",
            "k": clusters,
            "iterations": iterations,
            "epsilon_split": {
                "lloyd_steps": lloyd_epsilon,
                "per_step": lloyd_epsilon / iterations,
                "cluster_sizes": size_share * epsilon,
            },
            "centring": "public midpoints of the bounds",
        },
    )


FAMILY = Family(Operation.KMEANS, fit, validate, Target.NONE, distributed=fit_distributed)
"""The registry entry: unsupervised, categorical features one-hot over all categories."""
