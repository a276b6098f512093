"""A DP model call on a handle, end to end: validate, charge, read, fit, release, report.

The steps are those of an aggregate (:meth:`sandbox.engine.handle.DatasetHandle._run`), in
the same order, so a model is charged and checked like any other release:

1. validate every argument (the family's parameters by its registry entry, the columns and
   public bounds by :mod:`~sandbox.engine.models.selection`): a bad call reads and charges
   nothing, and no refusal quotes a data value;
2. price it: the call's ``epsilon`` is the loss of a pure epsilon-DP release for one privacy
   unit; under zCDP accounting it costs rho = epsilon**2 / 2 (Bun & Steinke 2016, Prop. 1.4,
   as :func:`sandbox.engine.measurements.budget_of` prices an aggregate); refuse a cost above
   the per-query cap or one a budget cannot pay (the grant's, each joined dataset's, the
   lifetime budget), before the bounded copy is even built;
3. bound contributions (the handle's bounded copy) and charge the ledger, every joined
   dataset jointly, *before* anything is read for the fit;
4. read the model's columns from the bounded rows (:mod:`~sandbox.engine.models.reading`,
   after the handle's derived columns and filter; when they span more than one fragment, one
   task's share, a family whose statistics add up over rows has each task sum them and
   return only the sums, :mod:`~sandbox.engine.models.statistics`) and fit at the per-row epsilon
   ``epsilon / k``, where ``k`` is the most rows one privacy unit has in the fitted rows (the
   contribution bound, or a join's bound, through the shape's 1-stable steps): a fitter that
   is ``e``-DP for one row is ``k * e``-DP for ``k`` rows (group privacy);
5. mark the charge released and return a :class:`~sandbox.engine.report.Release` whose
   report names the mechanism, the charge, the bounds and the library, so the release checks
   treat the result as a DP result (and ``auto_dp`` can release it).

A failure after 3 leaves the charge spent and releases nothing (like an aggregate's crash);
fitters are written not to fail on any data (an empty input still gets a DP answer), so a
failure says nothing about the rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from sandbox.engine.charging import check_budgets, spend_budgets
from sandbox.engine.measurements import budget_of
from sandbox.engine.models.family import Family
from sandbox.engine.models.inputs import ModelFit
from sandbox.engine.models.reading import fragment_arrays, model_input
from sandbox.engine.models.registry import family_of
from sandbox.engine.models.selection import ModelSpec, model_spec
from sandbox.engine.models.statistics import gather_over
from sandbox.engine.operations import named
from sandbox.engine.report import MechanismReport, Part, Release, ReleaseReport
from sandbox.engine.stability import stability_steps
from sandbox.engine.validation import epsilon_of
from sandbox.errors import SandboxInternalError
from sandbox.ledger import Charge
from sandbox.policies.accounting import check_query_cost
from sandbox.policies.budget import PrivacyCost
from sandbox.policies.rowcount import RowCountReport

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle


def per_row_epsilon(epsilon: Fraction, rows_per_unit: int) -> float:
    """``epsilon / rows_per_unit`` as the largest float not above it (never rounded up)."""
    exact = epsilon / rows_per_unit
    value = float(exact)
    if Fraction(value) > exact:
        value = math.nextafter(value, 0.0)
    return value


def fit_model(
    handle: DatasetHandle,
    call: str,
    *,
    x: object,
    y: object = None,
    bounds: object = None,
    epsilon: object = None,
    params: Mapping[str, object] | None = None,
) -> Release:
    """Fit the model family ``call`` on ``handle``'s rows (see the module docstring)."""
    family = family_of(call)
    rest = dict(params or {})
    positive = rest.pop("positive", None) if family.binary_target else None
    epsilon_value = named(call, lambda: epsilon_of(epsilon))
    fit_params = named(call, lambda: family.validate(rest))
    spec = named(
        call,
        lambda: model_spec(
            family,
            columns=handle.shape.columns(handle.info.dictionary),
            dictionary=handle.info.dictionary,
            privacy_unit=handle.privacy_unit,
            x=x,
            y=y,
            bounds=bounds,
            positive=positive,
        ),
    )
    steps = stability_steps(
        handle.shape,
        handle.privacy_unit,
        handle.contribution_bound,
        handle.source.steps if handle.source is not None else (),
    )
    rows_per_unit = steps[-1].rows_per_unit
    policy = handle.policy
    accounting = policy.accounting
    assert accounting is not None
    cost = PrivacyCost(budget_of(accounting, epsilon_value), Fraction(0))
    charges = _charge(handle, family, spec, cost)
    fit = _fit(handle, family, spec, rows_per_unit, epsilon_value, fit_params)
    handle._refuse_if_suspended()  # a suspension while fitting freezes the release
    engine = handle.engine
    for paid in charges:
        engine.ledger.release(paid.id, engine.actor)
    report = ReleaseReport(
        dataset=handle.info.name,
        version=handle.info.version,
        operation=family.operation,
        column=spec.target,
        keys=(),
        accounting=accounting,
        cost=cost,
        charged=charges[0].cost,
        mechanisms=(MechanismReport(Part.MODEL, fit.mechanism, 0.0, cost, loss=cost),),
        privacy_unit=handle.privacy_unit,
        contribution_bound=handle.contribution_bound,
        partition_selection=False,
        groups_released=1,
        suppressed=0,
        truncated=0,
        row_count=RowCountReport((), 1, 1, 0, 0, 1, _cells(fit.values)),
        charge_id=charges[0].id,
        transformations=steps,
        joins=handle.source.joins if handle.source is not None else (),
        charge_ids=tuple(paid.id for paid in charges) if len(charges) > 1 else (),
        model={
            **spec.describe(),
            "rows_per_unit": rows_per_unit,
            "epsilon": float(epsilon_value),
            "row_epsilon": fit.epsilon,
            "delta": fit.delta,
            "mechanism": fit.mechanism,
            "rows_dropped_by_bounding": "not released (not a DP fact)",
            **dict(fit.details),
        },
    )
    release = Release(dict(fit.values), report)
    engine.releases.append(release)
    handle.last_release = release
    return release


def _charge(
    handle: DatasetHandle, family: Family, spec: ModelSpec, cost: PrivacyCost
) -> tuple[Charge, ...]:
    """Admit and charge ``cost`` exactly as an aggregate is (:mod:`sandbox.engine.charging`):
    the per-query cap, then every budget checked before the bounding, then paid.
    """
    check_query_cost(handle.policy, cost)
    handle._refuse_if_suspended()
    check_budgets(handle, cost)
    handle.bounded()
    return spend_budgets(handle, cost, _purpose(handle, spec), family.operation.value)


def _fit(
    handle: DatasetHandle,
    family: Family,
    spec: ModelSpec,
    rows_per_unit: int,
    epsilon: Fraction,
    params: Mapping[str, Any],
) -> ModelFit:
    engine = handle.engine
    filesystem = engine.platform.store.filesystem
    shape = handle.shape
    fragments = handle.bounded().fragments
    row_epsilon = per_row_epsilon(epsilon, rows_per_unit)
    if family.distributed is not None and len(fragments) > 1:
        # More rows than one task's share: the statistics are summed where the rows are.
        gather = gather_over(
            engine.pool, filesystem, fragments, spec, shape.derived, shape.where, rows_per_unit
        )
        public = model_input([], spec, rows_per_unit)
        fit = family.distributed(gather, public, row_epsilon, **params)
        computed = f"per-fragment statistics of {len(fragments)} fragments, noised once"
    else:
        calls = [(filesystem, fragment, spec, shape.derived, shape.where) for fragment in fragments]
        parts = engine.pool.map(fragment_arrays, calls) if calls else []
        data = model_input(parts, spec, rows_per_unit)
        fit = family.fit(data, row_epsilon, **params)
        computed = "the rows fitted in one process"
    fit = replace(fit, details={**dict(fit.details), "computed": computed})
    if fit.epsilon > row_epsilon or fit.delta != 0:
        raise SandboxInternalError("a model fitter ran above the epsilon it was given")
    return fit


def _cells(values: Mapping[str, Any]) -> int:
    """Numbers a model release holds (for the report's cell count)."""

    def count(value: Any) -> int:
        if isinstance(value, Mapping):
            return sum(count(v) for v in value.values())
        if isinstance(value, list | tuple):
            return sum(count(v) for v in value)
        return 1 if isinstance(value, int | float) and not isinstance(value, bool) else 0

    return count(values)


def _purpose(handle: DatasetHandle, spec: ModelSpec) -> str:
    text = spec.call
    if spec.target is not None:
        text += f" of {spec.target}"
    text += " on " + ", ".join(spec.columns)
    if handle.shape.where is not None:
        text += " where " + ", ".join(sorted(handle.shape.where.columns()))
    source = handle.source
    rows = source.describe() if source is not None else f"{handle.info.name} v{handle.info.version}"
    return f"{text} of {rows}"
