"""``ctx.regression``: an ordinary least squares summary, computed exactly.

The fit keeps its rows fitted and residual degrees of freedom beside the estimates, so the
``min_dof`` rule can refuse a fit that comes too close to its rows. Rows with a null or
non-finite value in any variable are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from sandbox.disclosure.verified.arguments import (
    HelperError,
    column_list,
    column_name,
    conditions_of,
    is_numeric,
    numbers_of,
    rows_where,
    rows_with_numbers,
)
from sandbox.disclosure.verified.outputs import Condition, VerifiedRegression

MAX_PREDICTORS = 50
"""Most predictors of one regression."""


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def regression(
    table: pa.Table, *, y: str | None, x: Sequence[str], where: Sequence[Condition] | None = None
) -> VerifiedRegression:
    """Ordinary least squares of ``y`` on ``x`` with an intercept.

    Rows where ``y`` or any ``x`` is null or not finite are left out. With collinear
    predictors (the design's rank is below ``len(x) + 1``), or no residual degrees of
    freedom, the estimates (or standard errors) are ``None``.

    Raises:
        HelperError: An argument does not fit the table.
    """
    if not isinstance(table, pa.Table):
        raise HelperError("regression() needs a table")
    y = column_name(table, "y", y)
    predictors = column_list("x", x, minimum=1)
    if len(predictors) > MAX_PREDICTORS:
        raise HelperError(f"x may name at most {MAX_PREDICTORS} columns")
    if len(set(predictors)) != len(predictors) or y in predictors:
        raise HelperError("x must name each predictor once, and not y")
    for argument, name in [("y", y), *(("x", p) for p in predictors)]:
        column_name(table, argument, name)
        if not is_numeric(table.schema.field(name).type):
            raise HelperError(f"{argument}: column {name!r} is not numeric")
    conditions = conditions_of(table, where)
    selected = rows_with_numbers(rows_where(table, conditions), [y, *predictors])
    n = selected.num_rows
    p = len(predictors) + 1
    dof = n - p
    terms = ("intercept", *predictors)
    estimates: list[float | None] = [None] * p
    errors: list[float | None] = [None] * p
    r2: float | None = None
    rank = 0
    if n:
        target = numbers_of(selected, y)
        design = np.column_stack([np.ones(n)] + [numbers_of(selected, c) for c in predictors])
        beta, _, rank_found, _ = np.linalg.lstsq(design, target, rcond=None)
        rank = int(rank_found)
        if rank == p:
            residuals = target - design @ beta
            rss = float(residuals @ residuals)
            centred = target - target.mean()
            tss = float(centred @ centred)
            r2 = _finite(1.0 - rss / tss) if tss > 0 else None
            estimates = [_finite(b) for b in beta]
            if dof > 0:
                covariance = (rss / dof) * np.linalg.inv(design.T @ design)
                errors = [_finite(math.sqrt(v)) if v >= 0 else None for v in np.diag(covariance)]
    return VerifiedRegression(
        y=y,
        x=predictors,
        where=conditions,
        n=n,
        dof_resid=dof,
        rank=rank,
        terms=terms,
        estimates=tuple(estimates),
        std_errors=tuple(errors),
        r2=r2,
    )
