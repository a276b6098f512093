"""DP linear regression: diffprivlib's functional mechanism, on publicly rescaled columns.

The release is epsilon-DP for adding or removing one row (and for changing one: the
sensitivities used are the larger of the two), at the per-row epsilon the engine passes.

How it is computed:

1. every feature and the target are rescaled by their public bounds onto [-1, 1]
   (:func:`~sandbox.engine.models.fitting.rescaled`) and a constant column of ones is
   appended: the intercept is a coefficient like the others;
2. diffprivlib's ``LinearRegression(fit_intercept=False, bounds_X, bounds_y)`` perturbs the
   coefficients of the least-squares objective (Zhang et al. 2012, the functional
   mechanism): the sum of squared targets, the sums of feature-target products and the
   feature cross-products, each with Laplace noise at ``epsilon / (1 + p + p(p+1)/2)`` for
   ``p`` columns. ``fit_intercept=False`` because the library's own intercept centres the
   data on noisy means whose sensitivity assumes the row count is public (replace-one
   neighbours only), and because its sensitivity of a squared column uses the column's
   lower bound alone (``linear_regression.py``: ``np.abs([bounds_X[0][i], bounds_X[0][i]])``),
   which is right only for bounds symmetric about zero, as [-1, 1] is;
3. everything released is post-processing of those noisy sums, so it costs nothing more and
   the whole epsilon goes to the mechanism: the coefficients solve the noisy normal
   equations (with eigenvalues below the noise scale raised to it, so a noisy cross-product
   matrix that is not positive definite still has a bounded solution); the DP R^2 and the
   residual spread come from the noisy residual sum of squares at that solution; the
   standard errors add the sampling variance (noisy residual variance times the inverse
   noisy cross-products) to the variance the Laplace noise itself gives the solution (by
   the delta method, from the public noise scales), so they are honest about the noise
   but approximate (a linearisation, with noisy plug-ins).

A public phantom row (all features at their midpoint, the target at its midpoint) is given
to the library so that it never sees an empty input; it adds nothing to any noisy sum but
the count, from which it is subtracted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy
import numpy.typing as npt

from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.family import Family, Target
from sandbox.engine.models.fitting import (
    as_floats,
    by_name,
    library,
    only,
    released,
    rescaled,
    strict_library,
)
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.models.statistics import Gather
from sandbox.engine.report import Operation
from sandbox.errors import SandboxInternalError

CALL = "linear_regression"
MECHANISM = "diffprivlib LinearRegression (functional mechanism, Laplace)"

Matrix = npt.NDArray[numpy.float64]


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """Linear regression takes no parameters beyond y, x, bounds and epsilon."""
    only(params, (), CALL)
    return {}


def noisy_sums(
    data: ModelInput, epsilon: float, random_state: int | None = None
) -> tuple[float, Matrix, Matrix]:
    """Diffprivlib's noisy objective of the rescaled data: (sum t^2, D^T t, D^T D)."""
    assert data.target is not None and data.target_bounds is not None
    rows, width = data.features.shape
    # One allocation: the rescaled features, the constant column, the phantom last row.
    design = numpy.zeros((rows + 1, width + 1))
    rescaled(data.features, data.feature_bounds, out=design[:rows, :width])
    design[:, width] = 1.0
    target = numpy.zeros(rows + 1)
    rescaled(data.target.reshape(-1, 1), [data.target_bounds], out=target[:rows].reshape(-1, 1))
    low = numpy.array([-1.0] * width + [1.0])
    high = numpy.ones(width + 1)
    model = diffprivlib.models.LinearRegression(
        epsilon=epsilon,
        bounds_X=(low, high),
        bounds_y=(-1.0, 1.0),
        fit_intercept=False,
        copy_X=False,  # ``design`` is this call's own copy
        random_state=random_state,
        accountant=diffprivlib.accountant.BudgetAccountant(),
    )
    with strict_library():
        model.fit(design, target)
    sums = getattr(model, "_obj_coefs", None)
    if sums is None:  # pinned library version: its fit keeps the noisy objective here
        raise SandboxInternalError("diffprivlib did not keep the noisy objective")
    squares, products, cross = sums
    cross = numpy.array(cross, dtype=numpy.float64)
    cross[width, width] -= 1.0  # the phantom row's one
    return float(as_floats(squares)[0]), as_floats(products), cross


def noise_scales(width: int, epsilon: float) -> tuple[float, Matrix, Matrix]:
    """The Laplace scales diffprivlib used on (sum t^2, D^T t, D^T D) for [-1, 1] columns
    and a constant one: the sensitivity over the per-coefficient epsilon.
    """
    columns = width + 1
    local = epsilon / (1 + columns + columns * (columns + 1) / 2)
    products = numpy.full(columns, 2.0 / local)  # range of x * t over [-1,1] x [-1,1]
    cross = numpy.full((columns, columns), 2.0 / local)
    numpy.fill_diagonal(cross, 1.0 / local)  # x^2 in [0, 1]
    return 1.0 / local, products, cross


def gram(part: ModelInput) -> tuple[Matrix]:
    """The exact cross-products of ``[D | t]`` for one part of the rows: ``D`` the rescaled
    features and the constant column, ``t`` the rescaled target (as :func:`noisy_sums`
    builds them, without the phantom row). Sums over disjoint rows add up.
    """
    assert part.target is not None and part.target_bounds is not None
    rows, width = part.features.shape
    joined = numpy.zeros((rows, width + 2))
    rescaled(part.features, part.feature_bounds, out=joined[:, :width])
    joined[:, width] = 1.0
    rescaled(part.target.reshape(-1, 1), [part.target_bounds], out=joined[:, width + 1 :])
    return (joined.T @ joined,)


def noisy_objective(
    total: Matrix, width: int, epsilon: float, random_state: int | None = None
) -> tuple[float, Matrix, Matrix]:
    """The library's functional mechanism on the summed cross-products ``total`` of
    :func:`gram`: the same noise :func:`noisy_sums` gets from ``LinearRegression.fit``.

    ``diffprivlib``'s ``_construct_regression_obj`` computes ``(sum t^2, D^T t, D^T D)`` from
    the rows and noises each with its module's ``LaplaceFolded`` / ``Laplace``; this is that
    function's loop, on the sums instead of the rows, with the same mechanisms (looked up in
    the library's module, as it does), sensitivities, epsilon and order of draws (so one
    seed gives one answer on either path: tests/engine/models/test_distributed.py). The
    phantom row (its constant one) is added to the sums first, as the library counts it,
    and taken off after.
    """
    module = diffprivlib.models.linear_regression
    columns = width + 1
    sums = numpy.array(total, dtype=numpy.float64)
    sums[width, width] += 1.0  # the phantom row's one, which the library sees
    squares, products, cross = (
        sums[columns, columns],
        sums[:columns, columns],
        sums[:columns, :columns],
    )
    low = numpy.array([-1.0] * width + [1.0])
    high = numpy.ones(columns)
    y_low, y_high = -1.0, 1.0
    local = epsilon / (1 + columns + columns * (columns + 1) / 2)
    rng = diffprivlib.utils.check_random_state(random_state)

    def spread(a_low: float, a_high: float, b_low: float, b_high: float) -> float:
        corners = [a_low * b_low, a_low * b_high, a_high * b_low, a_high * b_high]
        return float(numpy.max(corners) - numpy.min(corners))

    with strict_library():
        noisy_squares = module.LaplaceFolded(
            epsilon=local,
            sensitivity=float(numpy.abs([y_low, y_high]).max() ** 2),
            lower=0,
            upper=float("inf"),
            random_state=rng,
        ).randomise(float(squares))
        noisy_products = numpy.zeros(columns)
        for j in range(columns):
            noisy_products[j] = module.Laplace(
                epsilon=local, sensitivity=spread(y_low, y_high, low[j], high[j]), random_state=rng
            ).randomise(float(products[j]))
        noisy_cross = numpy.zeros((columns, columns))
        for i in range(columns):
            noisy_cross[i, i] = module.LaplaceFolded(
                epsilon=local,
                sensitivity=float(numpy.max(numpy.abs([low[i], low[i]])) ** 2),
                lower=0,
                upper=float("inf"),
                random_state=rng,
            ).randomise(float(cross[i, i]))
            for j in range(i + 1, columns):
                noisy_cross[i, j] = module.Laplace(
                    epsilon=local,
                    sensitivity=spread(low[i], high[i], low[j], high[j]),
                    random_state=rng,
                ).randomise(float(cross[i, j]))
                noisy_cross[j, i] = noisy_cross[i, j]
    noisy_cross[width, width] -= 1.0  # the phantom row's one
    return float(noisy_squares), noisy_products, noisy_cross


def fit_distributed(
    gather: Gather, public: ModelInput, epsilon: float, *, random_state: int | None = None
) -> ModelFit:
    """:func:`fit` from the cross-products ``gather`` sums over the rows (never the rows)."""
    width = public.features.shape[1]
    (total,) = gather(gram, ())
    squares, products, cross = noisy_objective(total, width, epsilon, random_state)
    return _released(public, epsilon, squares, products, cross)


def fit(data: ModelInput, epsilon: float, *, random_state: int | None = None) -> ModelFit:
    """Fit ``data`` at the per-row ``epsilon`` (see the module docstring)."""
    squares, products, cross = noisy_sums(data, epsilon, random_state)
    return _released(data, epsilon, squares, products, cross)


def _released(
    data: ModelInput, epsilon: float, squares: float, products: Matrix, cross: Matrix
) -> ModelFit:
    """Everything released, as post-processing of the noisy objective (the rows of ``data``
    are not used: only its public facts).
    """
    width = data.features.shape[1]
    columns = width + 1
    square_scale, product_scales, cross_scales = noise_scales(width, epsilon)
    values, vectors = numpy.linalg.eigh((cross + cross.T) / 2)
    floor = float(cross_scales[0, 0])
    inverse = vectors @ numpy.diag(1.0 / numpy.maximum(values, floor)) @ vectors.T
    weights = inverse @ products
    rows = max(float(cross[width, width]), 1.0)
    residual = max(squares - 2 * weights @ products + weights @ cross @ weights, 0.0)
    total = squares - products[width] ** 2 / rows
    r_squared = 1.0 - residual / total if total > 0 else 0.0
    dof = max(rows - columns, 1.0)
    sampling = (residual / dof) * inverse
    noise = numpy.diag(2 * product_scales**2)
    for j in range(columns):
        for k in range(j, columns):
            var = 2 * cross_scales[j, k] ** 2
            if j == k:
                noise[j, j] += var * weights[j] ** 2
            else:
                noise[j, j] += var * weights[k] ** 2
                noise[k, k] += var * weights[j] ** 2
                noise[j, k] += var * weights[j] * weights[k]
                noise[k, j] += var * weights[j] * weights[k]
    covariance = sampling + inverse @ noise @ inverse
    assert data.target_bounds is not None
    _, middle, half = rescaled(numpy.zeros((1, width)), data.feature_bounds)
    target_middle = (data.target_bounds[0] + data.target_bounds[1]) / 2
    target_half = (data.target_bounds[1] - data.target_bounds[0]) / 2
    back = numpy.zeros((columns, columns))  # original (coefficients, intercept) = back @ w
    for j in range(width):
        back[j, j] = target_half / half[j]
        back[width, j] = -target_half * middle[j] / half[j]
    back[width, width] = target_half
    original = back @ weights
    errors = numpy.sqrt(numpy.maximum(numpy.diag(back @ covariance @ back.T), 0.0))
    names = data.feature_names
    return ModelFit(
        values={
            "features": list(names),
            "coefficients": by_name(names, original[:width]),
            "intercept": released(float(original[width] + target_middle)),
            "standard_errors": {
                **by_name(names, errors[:width]),
                "intercept": released(float(errors[width])),
            },
            "r_squared": released(min(max(r_squared, 0.0), 1.0)),
            "residual_std": released(target_half * math.sqrt(residual / dof)),
            "noisy_rows": released(float(cross[width, width])),
        },
        mechanism=MECHANISM,
        epsilon=epsilon,
        details={
            "library": library(),
            "neighbours": "add or remove one row (also change one)",
            "epsilon_split": (
                "all of it to the functional mechanism, equal parts over the "
                f"{1 + columns + columns * (columns + 1) // 2} noisy sums; R^2, residual "
                "spread and standard errors are post-processing"
            ),
            "square_noise_scale": released(float(square_scale)),
            "standard_errors": "approximate: sampling plus DP noise (delta method)",
        },
    )


FAMILY = Family(
    Operation.LINEAR_REGRESSION,
    fit,
    validate,
    Target.NUMERIC,
    drop_first=True,
    distributed=fit_distributed,
)
"""The registry entry (:mod:`sandbox.engine.models.registry`)."""
