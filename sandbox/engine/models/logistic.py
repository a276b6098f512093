"""DP logistic regression: diffprivlib's objective perturbation, on rows of norm at most 1.

The target is binary: class 1 is ``positive`` (default the second of two declared
categories), class 0 every other category. Each feature is centred at its public midpoint
and scaled by its public half-width onto [-a, a], and a constant column of value ``s``
carries the intercept, with ``a = 1 / sqrt(d + INTERCEPT_SHARE**2)`` and
``s = INTERCEPT_SHARE * a``: every row's norm is at most exactly 1, the ``data_norm``
diffprivlib is given (from the bounds alone, never from the data, which would leak, and
which the library would warn about: its :class:`PrivacyLeakWarning` is an error here).

Why a norm of 1: the library's privacy budget split ``epsilon' = epsilon - 2 log(1 + C *
data_norm / 4)`` (and its extra regulariser when that is not positive) bounds the change of
the objective's Hessian by one row, ``loss'' |x|^2 <= data_norm^2 / 4``, by
``data_norm / 4``: exact at 1 (Chaudhuri, Monteleoni & Sarwate 2011 assume rows in the unit
ball), too small above it. At norm 1 the library's formulas are the paper's. The constant
column is smaller than a feature (``INTERCEPT_SHARE``, public) because the intercept takes
a share of the norm bound without helping the coefficients: the features keep almost all of
it, at the cost of a noisier, more regularised intercept (mapped back by ``s``).

The library's fit of one binary class is its ``_logistic_regression_path`` (what
``LogisticRegression.fit`` runs per class, at ``epsilon / n_classes``: one class here); it
is called directly because the class itself no longer constructs under scikit-learn 1.9
(it passes the removed ``multi_class`` argument to scikit-learn's constructor). It perturbs
the regularised logistic loss with a random linear term ``b`` (the Vector mechanism: a
uniform direction, a norm drawn from Gamma(dimension, 2 data_norm / epsilon')) and
minimises it with L-BFGS.

Neighbours are one row added or removed, and for those the library's calibration (made for
one row *changed*) is twice what is needed, so it is called at ``2 * epsilon``. Written as a
sum over rows the objective is ``sum_i loss_i(w) + |w|^2 / (2 C') + b.w`` (``1/C'`` is
``1/C`` plus the library's extra regulariser when it adds one; neither depends on the rows
or their count). At the released minimiser ``w`` the noise is ``b = -(sum_i grad loss_i(w)
+ w / C')``; adding a row moves it by that row's gradient, of norm at most ``|loss'| |x| <=
1``: half the ``2 data_norm`` of a change, so the noise density changes by at most
``exp(epsilon' / 2)``. The Jacobian of ``w -> b`` changes by one rank-one term,
``loss'' x x^T`` (at most 1/4 in norm), so its determinant by at most ``1 + C' / 4``.
With the library's own choices at ``epsilon_lib`` (``epsilon' = epsilon_lib - 2 log(1 +
C/4)``, or ``epsilon_lib / 2`` with ``C'`` such that ``log(1 + C'/4) = epsilon_lib / 4``),
``epsilon' / 2 + log(1 + C'/4) = epsilon_lib / 2`` in both cases: the release is
``epsilon_lib / 2``-DP for adding or removing one row, hence the factor 2. (This needs the
norm bound 1: above it the Jacobian term grows with the norm's square.) Like every
objective-perturbation method it assumes the exact minimiser; L-BFGS stops at a tolerance
(a gradient of ``tol``, default 1e-8, far below the noise), a gap the literature leaves
open and the documentation states.

Two public phantom rows, both at the features' midpoints, one of each class, are always
added: the library never sees an empty input or a single class (which it would refuse,
telling whether the data held both), and they pull only the intercept, by two rows' worth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy

from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.family import Family, Target
from sandbox.engine.models.fitting import (
    as_floats,
    by_name,
    library,
    number_param,
    only,
    released,
    rescaled,
    strict_library,
)
from sandbox.engine.models.inputs import ModelFit, ModelInput
from sandbox.engine.report import Operation

CALL = "logistic_regression"
MECHANISM = "diffprivlib LogisticRegression (objective perturbation, Vector mechanism)"
PARAMETERS = ("C", "max_iter", "tol")
ADD_REMOVE_FACTOR = 2.0
"""The library's epsilon per unit of ours: its calibration is for a changed row, ours for
an added or removed one (see above)."""
INTERCEPT_SHARE = 0.1
"""The constant column's value as a share of a feature's half-range (public, see above)."""
MAX_C = 1e6
"""The largest ``C`` taken (and the default's cap at large epsilons)."""
DATA_NORM = 1.0
"""Every scaled row's norm bound: where the library's privacy formulas are exact."""


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """``C`` (inverse regularisation on the unit-ball rows; default: :func:`least_regularised`),
    ``max_iter`` (default
    1000) and ``tol`` (L-BFGS's gradient tolerance, default 1e-8: the proof assumes the exact
    minimiser, so the default stops far closer to it than scikit-learn's 1e-4).
    """
    only(params, PARAMETERS, CALL)
    return {
        "C": number_param(params, "C", 1.0, 1e-6, MAX_C, call=CALL) if "C" in params else None,
        "max_iter": int(number_param(params, "max_iter", 1000, 1, 10_000, call=CALL, integer=True)),
        "tol": number_param(params, "tol", 1e-8, 1e-12, 1.0, call=CALL),
    }


def least_regularised(epsilon: float) -> float:
    """The default ``C``: the weakest regularisation the library's budget split allows at
    ``epsilon`` without adding its own, ``C = 4 (exp(epsilon_lib / 4) - 1)`` (then
    ``epsilon' = epsilon_lib / 2``). A larger ``C`` makes the library add the difference
    back as its extra regulariser and halve ``epsilon'`` anyway; a smaller one buys a larger
    ``epsilon'`` (less noise) with more bias. It depends on the public epsilon alone, and the
    bias and the noise it balances both fall as 1/rows.
    """
    exponent = min(ADD_REMOVE_FACTOR * epsilon / 4.0, math.log(MAX_C))  # no overflow
    return min(MAX_C, 4.0 * math.expm1(exponent))


def fit(
    data: ModelInput,
    epsilon: float,
    *,
    C: float | None = None,  # noqa: N803 - the library's and scikit-learn's name
    max_iter: int = 1000,
    tol: float = 1e-8,
    random_state: int | None = None,
) -> ModelFit:
    """Fit ``data`` (class indices 0/1) at the per-row ``epsilon``."""
    assert data.target is not None
    C = least_regularised(epsilon) if C is None else C  # noqa: N806
    rows, width = data.features.shape
    # The intercept as the weight of a constant column, regularised like every weight:
    # scikit-learn's loss leaves a fitted intercept unpenalised, and objective perturbation
    # needs a strongly convex objective in every coordinate (else one noisy coordinate may
    # run off to infinity, as it does on few rows). One allocation: the scaled features,
    # the constant column and the two phantom rows (at the centre, one of each class).
    # A hair under the exact scale, so that rounding never lifts a row's norm above 1.
    scale = (1.0 - 1e-12) / math.sqrt(width + INTERCEPT_SHARE**2)
    constant = INTERCEPT_SHARE * scale
    features = numpy.zeros((rows + 2, width + 1))
    _, middle, half = rescaled(data.features, data.feature_bounds, out=features[:rows, :width])
    features[:rows, :width] *= scale
    features[:, width] = constant
    target = numpy.empty(rows + 2)
    target[:rows] = data.target
    target[rows:] = (0.0, 1.0)
    data_norm = DATA_NORM
    path = diffprivlib.models.logistic_regression._logistic_regression_path
    with strict_library():
        coefs, _, _ = path(
            features,
            target,
            epsilon=ADD_REMOVE_FACTOR * epsilon,
            data_norm=data_norm,
            pos_class=1.0,
            Cs=[C],
            fit_intercept=False,
            max_iter=max_iter,
            tol=tol,
            random_state=random_state,
            check_input=True,
        )
    solution = as_floats(coefs[0])
    weights, intercept = solution[:width], float(solution[width])
    coefficients = weights * scale / half
    intercept = intercept * constant - float(numpy.sum(coefficients * middle))
    names = data.feature_names
    return ModelFit(
        values={
            "features": list(names),
            "coefficients": by_name(names, coefficients),
            "intercept": released(intercept),
            "classes": list(data.classes),
            "positive": data.classes[1] if len(data.classes) > 1 else None,
        },
        mechanism=MECHANISM,
        epsilon=epsilon,
        details={
            "library": library(),
            "neighbours": "add or remove one row",
            "data_norm": released(data_norm),
            "C": C,
            "intercept_scale": released(constant),
            "max_iter": max_iter,
            "tol": tol,
            "epsilon_split": "all of it to the perturbed objective (one binary fit)",
            "library_epsilon": released(ADD_REMOVE_FACTOR * epsilon),
        },
    )


FAMILY = Family(
    Operation.LOGISTIC_REGRESSION,
    fit,
    validate,
    Target.CATEGORICAL,
    drop_first=True,
    binary_target=True,
)
"""The registry entry (:mod:`sandbox.engine.models.registry`)."""
