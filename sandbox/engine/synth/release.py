"""``handle.synthesize(...)``: a DP synthetic table, planned, charged, computed, reported.

The same steps as every release of the DP handle (:mod:`sandbox.engine.handle`), in order:

1. validate every argument (columns, rows, bins, epsilon, delta) into the public domain
   (:mod:`sandbox.engine.synth.domain`): nothing is read or charged for a bad request;
2. plan MST's OpenDP measurements (:mod:`sandbox.engine.synth.measure`) and their exact
   cost; refuse a cost above the per-query cap or one the grant or the dataset's lifetime
   budget cannot pay (``ledger.check``);
3. bound contributions (the handle's bounded copy) and charge the ledger (``spend``),
   *before* anything is computed;
4. count the kept rows per cell of the joint domain in one scan, run MST on the counts
   (:mod:`sandbox.engine.synth.mst`);
5. mark the charge released and return the table with its report (mechanism MST, the
   budget and its three shares, the bins, the rows per unit, the tree, the utility).

Under zCDP accounting the charge is rho = epsilon**2 / 2, as for every release; under pure
DP it is epsilon, and MST runs with discrete Laplace noise and the pure-DP exponential
mechanism. MST over declared public domains needs no delta (no key is selected from the
data), so ``delta`` may only be omitted or 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sandbox.engine.charging import check_budgets, spend_budgets
from sandbox.engine.measurements import budget_of
from sandbox.engine.synth.counts import joint_counts
from sandbox.engine.synth.domain import SynthDomain, synth_domain
from sandbox.engine.synth.estimate import configure_compilation_cache
from sandbox.engine.synth.measure import MeasurementPlan, plan_measurements
from sandbox.engine.synth.mst import MAX_ROWS, SynthOutput, run_mst
from sandbox.engine.validation import InvalidQuery, delta_of, epsilon_of
from sandbox.policies.accounting import check_query_cost
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.runtime.channel import MAX_MESSAGE_BYTES

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle

__all__ = ["CALL", "SynthesisReport", "SynthRelease", "rows_of", "synthesize"]

CALL = "synthesize"
"""The DP call's name (the ledger's ``call``, the report's ``operation``)."""
MECHANISM = "MST (McKenna, Miklau & Sheldon 2021)"


def rows_of(value: object) -> int | None:
    """The rows asked for: ``None`` (the noisy total) or an integer from 1 to MAX_ROWS."""
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= MAX_ROWS:
        raise InvalidQuery(f"synthesize(): rows must be an integer from 1 to {MAX_ROWS}")
    return value


def _no_delta(value: object) -> None:
    delta = delta_of(value)
    if delta:
        raise InvalidQuery(
            "synthesize(): MST over the columns' public domains spends no delta; "
            "omit delta or pass 0"
        )


@dataclass(frozen=True)
class SynthesisReport:
    """What a synthetic-data release cost and how it was made; holds no data value."""

    dataset: str
    version: int
    columns: tuple[str, ...]
    accounting: Accounting
    cost: PrivacyCost
    charged: PrivacyCost
    epsilon: Fraction
    plan: MeasurementPlan
    bins: tuple[dict[str, Any], ...]
    privacy_unit: str | None
    contribution_bound: int
    rows: int
    rows_from_noisy_total: bool
    tree: tuple[tuple[str, str], ...]
    utility: dict[str, Any]
    charge_id: int
    shape: dict[str, Any]

    def mechanisms(self) -> list[dict[str, Any]]:
        """Each measurement kind with its scale, count and charge (the ``dp`` check line)."""
        plan = self.plan
        parts = [("one_way", plan.one_way, plan.columns)]
        if plan.select is not None and plan.two_way is not None:
            parts += [("select", plan.select, plan.rounds), ("two_way", plan.two_way, plan.rounds)]
        return [
            {
                "part": part,
                "mechanism": calibrated.mechanism,
                "scale": calibrated.scale,
                "measurements": times,
                "cost": (calibrated.charge * times).describe(self.accounting),
                "map_loss": float(calibrated.cost.loss) * times,
            }
            for part, calibrated, times in parts
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the job's stored release report)."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "operation": CALL,
            "mechanism": MECHANISM,
            "columns": list(self.columns),
            "accounting": self.accounting.value,
            "epsilon": float(self.epsilon),
            "rho": float(self.cost.loss) if self.accounting is Accounting.ZCDP else None,
            "delta": 0.0,
            "cost": self.cost.describe(self.accounting),
            "loss": float(self.cost.loss),
            "charged": self.charged.describe(self.accounting),
            "budget_split": {k: float(v) for k, v in self.plan.shares().items()},
            "mechanisms": self.mechanisms(),
            "bins": list(self.bins),
            "privacy_unit": self.privacy_unit,
            "contribution_bound": self.contribution_bound,
            "rows_per_unit": self.contribution_bound,
            "rows": self.rows,
            "rows_from_noisy_total": self.rows_from_noisy_total,
            "tree": [list(edge) for edge in self.tree],
            "utility": self.utility,
            "suppressed": 0,
            "truncated": 0,
            "charge_id": self.charge_id,
            "shape": self.shape,
        }


@dataclass(frozen=True)
class SynthRelease:
    """A DP synthetic table and its report.

    ``value`` is what a model receives: ``{"columns", "rows", "utility", "mechanism",
    "epsilon"}`` with the rows as a list of records.
    """

    table: pa.Table
    report: SynthesisReport

    @property
    def value(self) -> dict[str, Any]:
        """The JSON answer: the rows as records, with the utility report."""
        return {
            "columns": list(self.table.column_names),
            "rows": self.table.to_pylist(),
            "utility": self.report.utility,
            "mechanism": MECHANISM,
            "epsilon": float(self.report.epsilon),
        }

    def rows(self) -> list[dict[str, Any]]:
        """The synthetic rows as records."""
        rows: list[dict[str, Any]] = self.table.to_pylist()
        return rows


@dataclass(frozen=True)
class SynthRequest:
    """A validated synthesize call: its domain, rows and the calibrated plan."""

    domain: SynthDomain
    rows: int | None
    epsilon: Fraction
    plan: MeasurementPlan


def plan_synthesis(
    handle: DatasetHandle,
    columns: object,
    rows: object,
    epsilon: object,
    delta: object,
    bins: object,
    bounds: object = None,
) -> SynthRequest:
    """Step 1 and the plan of step 2: validated, calibrated, nothing read or charged."""
    if handle.source is not None:
        raise InvalidQuery(
            "synthesize() runs on one dataset's rows; it is not available after a join"
        )
    domain = synth_domain(handle.info.dictionary, handle.shape, columns, bins, bounds)
    wanted = rows_of(rows)
    eps = epsilon_of(epsilon)
    _no_delta(delta)
    accounting = handle.policy.accounting
    assert accounting is not None
    _refuse_if_too_large(domain, wanted)
    plan = plan_measurements(
        accounting, budget_of(accounting, eps), len(domain.attributes), handle.contribution_bound
    )
    return SynthRequest(domain, wanted, eps, plan)


ANSWER_SHARE = 0.75
"""Share of a job's 1 MiB channel message the synthetic rows may fill at most (the rest is
left for the utility report, the mechanism's description and the model's other values)."""


def _largest_record(domain: SynthDomain) -> int:
    """Bytes of the longest JSON record one synthetic row can be, from the public domain
    alone: each column's quoted name, and its longest declared label or a float's longest
    ``repr`` (24 characters).
    """
    size = 2  # the braces
    for attribute in domain.attributes:
        if attribute.values is not None:
            widest = max((len(json.dumps(value)) for value in attribute.values), default=4)
        else:
            widest = 24
        size += len(json.dumps(attribute.name)) + 2 + widest + 2  # ": " and ", "
    return size


def most_rows(domain: SynthDomain) -> int:
    """Most synthetic rows of ``domain`` one answer carries: :data:`MAX_ROWS`, or fewer
    where the columns' records are wide (bounded from the public domain, never the data).
    """
    fits = int(MAX_MESSAGE_BYTES * ANSWER_SHARE) // _largest_record(domain)
    return max(1, min(MAX_ROWS, fits))


def _refuse_if_too_large(domain: SynthDomain, wanted: int | None) -> None:
    """Refuse, before anything is charged, rows asked for that could not cross to the model
    (the default, the noisy total, is capped at :func:`most_rows` instead).
    """
    fits = most_rows(domain)
    if wanted is not None and wanted > fits:
        raise InvalidQuery(
            f"synthesize(): {wanted} rows of {len(domain.attributes)} columns may not fit in "
            f"a job's answer ({MAX_MESSAGE_BYTES // 1024} KiB); ask for rows={fits} or "
            "fewer, or for fewer columns"
        )


def _purpose(handle: DatasetHandle, domain: SynthDomain) -> str:
    text = f"{CALL} (MST) of {', '.join(domain.names)}"
    if handle.shape.where is not None:
        text += " where " + ", ".join(sorted(handle.shape.where.columns()))
    return f"{text} on {handle.info.name} v{handle.info.version}"


def synthesize(
    handle: DatasetHandle,
    columns: object,
    rows: object = None,
    epsilon: object = None,
    delta: object = None,
    bins: object = None,
    bounds: object = None,
) -> SynthRelease:
    """Steps 1 to 5 of the module docstring on ``handle``'s rows."""
    request = plan_synthesis(handle, columns, rows, epsilon, delta, bins, bounds)
    plan = request.plan
    cost = plan.cost
    check_query_cost(handle.policy, cost)
    engine = handle.engine
    handle._refuse_if_suspended()
    # The engine's own charging (as every release): a refusal reads as an aggregate's.
    check_budgets(handle, cost)
    bounded = handle.bounded()
    [charge] = spend_budgets(handle, cost, _purpose(handle, request.domain), CALL)
    store = engine.platform.store
    joint = joint_counts(
        engine.pool, store.filesystem, bounded.fragments, request.domain, handle.shape.where
    )
    configure_compilation_cache(engine.platform.settings.resolved_jax_cache_dir())
    output = run_mst(request.domain, plan, joint, request.rows, most=most_rows(request.domain))
    handle._refuse_if_suspended()  # a suspension while computing freezes the release
    engine.ledger.release(charge.id, engine.actor)
    return SynthRelease(output.table, _report(handle, request, output, cost, charge))


def _report(
    handle: DatasetHandle,
    request: SynthRequest,
    output: SynthOutput,
    cost: PrivacyCost,
    charge: Any,
) -> SynthesisReport:
    domain = request.domain
    tree = tuple(
        (domain.names[a], domain.names[b]) for a, b in (s.chosen for s in output.measured.tree)
    )
    return SynthesisReport(
        dataset=handle.info.name,
        version=handle.info.version,
        columns=domain.names,
        accounting=request.plan.accounting,
        cost=cost,
        charged=charge.cost,
        epsilon=request.epsilon,
        plan=request.plan,
        bins=tuple(domain.describe()),
        privacy_unit=handle.privacy_unit,
        contribution_bound=handle.contribution_bound,
        rows=output.table.num_rows,
        rows_from_noisy_total=output.rows_from_noisy_total,
        tree=tree,
        utility=output.utility,
        charge_id=charge.id,
        shape=handle.shape.describe(),
    )
