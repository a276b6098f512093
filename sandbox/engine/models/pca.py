"""DP principal component analysis: a DP mean, then diffprivlib's noisy eigendecomposition.

The components come from diffprivlib's ``covariance_eig`` (the mechanism inside its
:class:`PCA`, Imtiaz & Sarwate 2016): Laplace noise on the eigenvalues of the scatter
matrix scaled by the squared row-norm bound, and the Bingham mechanism for each
eigenvector in turn, the budget split evenly between the eigenvalues and the vectors.

Centring is a DP mean (not the public midpoints, which would give the second moments about
an arbitrary point rather than the covariance): ``mean_share * epsilon`` buys a noisy row
count (OpenDP discrete Laplace, :data:`COUNT_PART` of that share) and noisy coordinate
sums of the midpoint-centred rows (diffprivlib Laplace, sensitivity the half-width, the
budget split evenly over the coordinates); the mean is clipped into the bounds. Each row
minus that mean then lies within ``upper - lower`` of zero per coordinate, so
``data_norm`` is ``||upper - lower||_2``, a public number: nothing is clipped and no norm
is read from the data (diffprivlib's fallback, which leaks).

Why not ``diffprivlib.models.PCA.fit``: its own mean divides by the true row count (it
takes the size of the dataset as public, which adding a row is not), its explained
variance divides the noisy eigenvalues by the true ``n - 1``, and it raises on fewer rows
than components; here the explained variance divides by the noisy count, and the variance
ratio needs no count at all.

Total: epsilon-DP for adding or removing one row.
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
    integer_parameter,
    noisy_counts,
    only_parameters,
    share_parameter,
    strict_library,
)
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.models.statistics import Gather
from sandbox.engine.report import Operation

CALL = "pca"
PARAMETERS = ("n_components", "mean_share")
MAX_COMPONENTS = 100

COUNT_PART = 0.2
"""Part of the centring budget spent on the row count (the rest on the sums)."""

MECHANISM = (
    "diffprivlib covariance_eig (Laplace eigenvalues, Bingham eigenvectors) "
    "on a DP mean (OpenDP discrete Laplace count, diffprivlib Laplace sums)"
)


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """``n_components`` (default: one per feature), ``mean_share`` (default 0.5)."""
    only_parameters(CALL, params, PARAMETERS)
    components = params.get("n_components")
    return {
        "n_components": None
        if components is None
        else integer_parameter(CALL, "n_components", components, low=1, high=MAX_COMPONENTS),
        "mean_share": share_parameter(CALL, "mean_share", params.get("mean_share", 0.5), high=0.9),
    }


def noisy_sums(sums: Floats, half: Floats, epsilon: float, random_state: Any) -> Floats:
    """Coordinate sums of midpoint-centred rows, each with diffprivlib's Laplace.

    One added row moves coordinate ``i`` by at most ``half[i]``; each coordinate gets
    ``epsilon / d``, so the vector costs ``epsilon``.
    """
    share = epsilon / len(sums)
    noisy = numpy.zeros_like(sums)
    for i, total in enumerate(sums):
        mechanism = diffprivlib.mechanisms.Laplace(
            epsilon=share, sensitivity=float(half[i]), random_state=random_state
        )
        noisy[i] = mechanism.randomise(float(total))
    return noisy


def noisy_eigen(
    rows: Floats, epsilon: float, norm: float, components: int, random_state: Any
) -> tuple[Floats, Floats]:
    """The library's noisy eigenvalues (all ``d``) and top ``components`` eigenvectors.

    A zero row is appended: it leaves the scatter matrix unchanged and spares diffprivlib's
    norm check an empty matrix (an error that would tell the dataset is empty).
    """
    padded = numpy.vstack([rows, numpy.zeros((1, rows.shape[1]))])
    eigenvalues, vectors = diffprivlib.models.utils.covariance_eig(
        padded, epsilon=epsilon, norm=norm, dims=components, random_state=random_state
    )
    return numpy.asarray(eigenvalues, dtype=numpy.float64), numpy.asarray(vectors).T


def moments(part: ModelInput) -> tuple[Floats, Floats, Floats]:
    """One part's exact row count, coordinate sums and cross-products of its rows centred
    at the public midpoints (the rows :func:`fit` centres). Sums over disjoint rows add up.
    """
    lower, upper = check_features(part, CALL)
    rows, _, _ = centred(part, lower, upper)
    return numpy.array([rows.shape[0]], dtype=numpy.float64), rows.sum(axis=0), rows.T @ rows


def noisy_eigen_of_scatter(
    scatter: Floats, epsilon: float, norm: float, components: int, random_state: Any
) -> tuple[Floats, Floats]:
    """:func:`noisy_eigen` from the scatter matrix ``X^T X`` of the rows instead of the rows.

    ``diffprivlib``'s ``covariance_eig`` only uses its rows through ``X^T X / norm^2`` (and a
    check that no row's norm exceeds ``norm``, true of every row here: see the module
    docstring); this is its body from that matrix on, with the mechanisms of its module
    (``LaplaceBoundedDomain`` eigenvalues, ``Bingham`` vectors), the same epsilon split and
    the same order of draws, so that one seed gives one answer on either path.
    """
    utils = diffprivlib.models.utils
    rng = diffprivlib.utils.check_random_state(random_state)
    features = scatter.shape[0]
    dims = min(components, features)
    cov = scatter / (norm**2)
    eigvals = numpy.sort(numpy.linalg.eigvalsh(cov))[::-1]
    epsilon_0 = epsilon / (dims + (dims != features))
    mech_eigvals = utils.LaplaceBoundedDomain(
        epsilon=epsilon_0, lower=0, upper=float("inf"), sensitivity=2, random_state=rng
    )
    noisy_eigvals = numpy.array([mech_eigvals.randomise(v) for v in eigvals]) * (norm**2)
    mech_cov = utils.Bingham(epsilon=epsilon_0, random_state=rng)
    cov_i, proj_i = cov, numpy.eye(features)
    theta = numpy.zeros((0, features))
    for _ in range(dims):
        u_i = mech_cov.randomise(cov_i) if cov_i.size > 1 else numpy.ones((1,))
        theta = numpy.vstack((theta, proj_i.T.dot(u_i)))
        if cov_i.size > 1:
            proj_i = utils.null_space(theta).T
            cov_i = proj_i.dot(cov).dot(proj_i.T)
    return numpy.asarray(noisy_eigvals, dtype=numpy.float64), theta


def _sign_fixed(components: Floats) -> Floats:
    """Each component with its largest-magnitude entry positive (a deterministic choice)."""
    fixed = components.copy()
    for index, row in enumerate(fixed):
        if row[int(numpy.argmax(numpy.abs(row)))] < 0:
            fixed[index] = -row
    return fixed


def fit(
    data: ModelInput,
    epsilon: float,
    *,
    n_components: int | None = None,
    mean_share: float = 0.5,
    random_state: int | None = None,
) -> ModelFit:
    """Fit DP PCA on the features; release components, explained variance and the mean.

    Args:
        data: The clipped feature matrix and its public bounds (no target).
        epsilon: Per-row epsilon (the charge over ``rows_per_unit``).
        n_components: Number of components (1 to 100; default and at most one per feature:
            more than the features are cut to their number, as the report says, since the
            feature count after one-hot encoding is only known here, after the charge).
        mean_share: Part of epsilon spent on the DP mean used for centring (0 to 0.9].
        random_state: Seed of diffprivlib's noise, for tests only (the count's OpenDP noise
            is never seeded).
    """
    epsilon = check_epsilon(epsilon)
    rows = centred(data, *check_features(data, CALL))[0]

    def eigen(offset: Floats, eigen_epsilon: float, norm: float, components: int, rng: Any) -> Any:
        return noisy_eigen(rows - offset, eigen_epsilon, norm, components, rng)

    return _fitted(
        data,
        epsilon,
        rows.shape[0],
        rows.sum(axis=0),
        eigen,
        n_components,
        mean_share,
        random_state,
    )


def fit_distributed(
    gather: Gather,
    public: ModelInput,
    epsilon: float,
    *,
    n_components: int | None = None,
    mean_share: float = 0.5,
    random_state: int | None = None,
) -> ModelFit:
    """:func:`fit` from the count, sums and cross-products ``gather`` adds up over the rows.

    The scatter about the DP mean ``o`` is ``sum (x - o)(x - o)^T = X^T X - o s^T - s o^T
    + n o o^T`` for the midpoint-centred rows ``x`` (sum ``s``, count ``n``): the matrix the
    single-process fit hands the library, up to floating-point rounding.
    """
    epsilon = check_epsilon(epsilon)
    check_features(public, CALL)
    count, sums, cross = gather(moments, ())
    rows = int(count[0])

    def eigen(offset: Floats, eigen_epsilon: float, norm: float, components: int, rng: Any) -> Any:
        scatter = cross - numpy.outer(offset, sums) - numpy.outer(sums, offset)
        scatter = scatter + rows * numpy.outer(offset, offset)
        return noisy_eigen_of_scatter(
            (scatter + scatter.T) / 2, eigen_epsilon, norm, components, rng
        )

    return _fitted(public, epsilon, rows, sums, eigen, n_components, mean_share, random_state)


def _fitted(
    data: ModelInput,
    epsilon: float,
    row_count: int,
    row_sums: Floats,
    eigen: Callable[[Floats, float, float, int, Any], tuple[Floats, Floats]],
    n_components: int | None,
    mean_share: float,
    random_state: int | None,
) -> ModelFit:
    """The release from the exact count and sums of the midpoint-centred rows and
    ``eigen(offset, epsilon, norm, components, rng)``, the noisy eigendecomposition of the
    rows less the DP mean ``offset`` (the rows of ``data`` are not read here).
    """
    params = validate({"n_components": n_components, "mean_share": mean_share})
    lower, upper = check_features(data, CALL)
    dims = len(data.feature_names)
    asked = params["n_components"]
    components = dims if asked is None else min(asked, dims)
    mean_share = params["mean_share"]
    middle, half = (lower + upper) / 2.0, (upper - lower) / 2.0
    rng = diffprivlib.utils.check_random_state(random_state)

    mean_epsilon = mean_share * epsilon
    count = noisy_counts(numpy.array([row_count]), COUNT_PART * mean_epsilon)[0]
    sums = noisy_sums(row_sums, half, (1.0 - COUNT_PART) * mean_epsilon, rng)
    offset = numpy.clip(sums / max(count, 1), -half, half)

    norm = float(numpy.linalg.norm(upper - lower))
    eigen_epsilon = epsilon - mean_epsilon
    with strict_library():
        eigenvalues, vectors = eigen(offset, eigen_epsilon, norm, components, rng)
    ordered = numpy.sort(eigenvalues)[::-1]
    total = float(ordered.sum())
    ratio = ordered / total if total > 0 else numpy.full(dims, 1.0 / dims)
    variance = ordered / max(count - 1, 1)
    return ModelFit(
        values={
            "components": float_list(_sign_fixed(vectors)),
            "explained_variance": float_list(variance[:components]),
            "explained_variance_ratio": float_list(ratio[:components]),
            "mean": float_list(offset + middle),
            "features": list(data.feature_names),
        },
        mechanism=MECHANISM,
        epsilon=epsilon,
        details={
            "library": f"diffprivlib {VERSION}",
            "privacy": "epsilon-DP, adding or removing one row",
            "n_components": components,
            "n_components_asked": asked,
            "data_norm": norm,
            "centring": "DP mean (noisy sums over a noisy count, clipped into the bounds)",
            "epsilon_split": {
                "row_count": COUNT_PART * mean_epsilon,
                "coordinate_sums": (1.0 - COUNT_PART) * mean_epsilon,
                "eigendecomposition": eigen_epsilon,
            },
        },
    )


FAMILY = Family(Operation.PCA, fit, validate, Target.NONE, distributed=fit_distributed)
"""The registry entry: unsupervised, categorical features one-hot over all categories."""
