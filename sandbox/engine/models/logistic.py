"""DP logistic regression: diffprivlib's objective perturbation, on publicly rescaled columns.

The target is binary: class 1 is ``positive`` (default the second of two declared
categories), class 0 every other category. Features are rescaled by their public bounds
onto [-1, 1] (:func:`~sandbox.engine.models.fitting.rescaled`) and a constant column of
ones carries the intercept, so every row's norm is at most ``sqrt(d + 1)``: that is the
``data_norm`` diffprivlib's ``LogisticRegression`` is given
(never computed from the data, which would leak, and which the library would warn about:
its :class:`PrivacyLeakWarning` is an error here).

The library's fit of one binary class is its ``_logistic_regression_path`` (what
``LogisticRegression.fit`` runs per class, at ``epsilon / n_classes``: one class here); it
is called directly because the class itself no longer constructs under scikit-learn 1.9
(it passes the removed ``multi_class`` argument to scikit-learn's constructor). It perturbs
the regularised logistic loss with a random linear term (the Vector
mechanism, Chaudhuri, Monteleoni & Sarwate 2011) and minimises it with L-BFGS. Written as a
sum over rows, the objective ``sum_i loss_i(w) + |w|^2 / (2C) + b.w`` does not depend on
the row count, so the analysis for changing one row carries over to adding or removing one
(the gradient of one row has norm at most ``data_norm`` and the Hessian changes by one
rank-one term, half of what a change costs): the fit is epsilon-DP for adding or removing
one row. Like every objective-perturbation method it assumes the exact minimiser; L-BFGS
stops at a tolerance, a gap the literature leaves open and the documentation states.

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


def validate(params: Mapping[str, object]) -> dict[str, Any]:
    """``C`` (inverse regularisation, default 1), ``max_iter`` (default 100), ``tol``."""
    only(params, PARAMETERS, CALL)
    return {
        "C": number_param(params, "C", 1.0, 1e-6, 1e6, call=CALL),
        "max_iter": int(number_param(params, "max_iter", 100, 1, 10_000, call=CALL, integer=True)),
        "tol": number_param(params, "tol", 1e-4, 1e-12, 1.0, call=CALL),
    }


def fit(
    data: ModelInput,
    epsilon: float,
    *,
    C: float = 1.0,  # noqa: N803 - the library's and scikit-learn's name
    max_iter: int = 100,
    tol: float = 1e-4,
    random_state: int | None = None,
) -> ModelFit:
    """Fit ``data`` (class indices 0/1) at the per-row ``epsilon``."""
    assert data.target is not None
    rows, width = data.features.shape
    # The intercept as the weight of a constant column, regularised like every weight:
    # scikit-learn's loss leaves a fitted intercept unpenalised, and objective perturbation
    # needs a strongly convex objective in every coordinate (else one noisy coordinate may
    # run off to infinity, as it does on few rows). One allocation: the rescaled features,
    # the constant column and the two phantom rows (at the centre, one of each class).
    features = numpy.zeros((rows + 2, width + 1))
    _, middle, half = rescaled(data.features, data.feature_bounds, out=features[:rows, :width])
    features[:, width] = 1.0
    target = numpy.empty(rows + 2)
    target[:rows] = data.target
    target[rows:] = (0.0, 1.0)
    data_norm = math.sqrt(width + 1)
    path = diffprivlib.models.logistic_regression._logistic_regression_path
    with strict_library():
        coefs, _, _ = path(
            features,
            target,
            epsilon=epsilon,
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
    coefficients = weights / half
    intercept -= float(numpy.sum(weights * middle / half))
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
            "max_iter": max_iter,
            "epsilon_split": "all of it to the perturbed objective (one binary fit)",
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
