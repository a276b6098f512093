"""The DP handle of DESIGN.md: a trusted query engine usable directly from Python.

::

    engine = QueryEngine(platform, ledger, grant="G-1", policy=effective, actor=actor)
    census = engine.dataset("census")
    total = census.count(epsilon=0.1)
    by_region = census.group_by("region").mean("income", lower=0, upper=2e5, epsilon=0.5)

Every call runs the same steps, in this order:

1. validate every argument (:mod:`sandbox.engine.validation`): nothing is read or charged
   for a bad request, and no error quotes a data value;
2. build the OpenDP measurements (:mod:`sandbox.engine.measurements`) and sum their exact
   costs as OpenDP's maps give them; refuse a cost above the per-query cap or one the
   budget cannot pay (``ledger.check``);
3. bound contributions (once per version, kept) and charge the ledger (``spend``),
   *before* anything is computed;
4. compute exact partial aggregates of the bounded fragments in parallel (Ray) and combine
   them (or take them from the engine's memo of exact aggregates, :mod:`sandbox.engine.memo`,
   when an earlier release read the same data, keys, column and bounds), then add noise
   once: every release draws fresh noise and is charged, memoised or not;
5. apply the row-count rules (:mod:`sandbox.policies.rowcount`);
6. mark the charge released and return a :class:`Release`: the value and its report.

A crash between 3 and 6 leaves the charge spent but unreleased: budget may be wasted, but
no output ever leaves uncharged.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import pyarrow as pa

from sandbox.catalog.dictionary import ColumnSpec, ColumnType, DataDictionary
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.suspension import refuse_if_suspended
from sandbox.engine.bounding import ROWS_PER_BUCKET, BoundedVersion, bounded_version
from sandbox.engine.compute import Executor, RayExecutor, run_partials
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.measurements import (
    Calibrated,
    budget_of,
    integer_noise,
    noisy_min,
    partition_selection,
)
from sandbox.engine.memo import PartialMemo
from sandbox.engine.partials import (
    BinSpec,
    GroupKey,
    GroupStats,
    KeySpec,
    Partial,
    PartialPlan,
    ValueSpec,
)
from sandbox.engine.validation import (
    InvalidQuery,
    bin_edges,
    bounds_of,
    column_of,
    delta_of,
    epsilon_of,
    key_column_allowed,
    key_columns,
    quantile_of,
)
from sandbox.errors import AccessRefused, InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.ledger import BudgetLedger
from sandbox.platform import Platform
from sandbox.policies.accounting import check_query_cost
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.model import Policy
from sandbox.policies.rowcount import (
    GroupRow,
    OutputTooLarge,
    RowCountReport,
    apply_row_count_rules,
)

QUANTILE_CANDIDATES = 1001
"""Candidates of a quantile: evenly spaced over the bounds (integers for narrow int columns)."""
QUANTILE_DENOMINATOR = 10_000
"""The quantile level is used as a fraction with at most this denominator."""
MAX_PUBLIC_GROUPS = 1_000_000

_SHARES: dict[str, dict[str, Fraction]] = {
    "count": {"count": Fraction(1)},
    "histogram": {"count": Fraction(1)},
    "sum": {"count": Fraction(1, 4), "sum": Fraction(3, 4)},
    "mean": {"count": Fraction(1, 2), "sum": Fraction(1, 2)},
    "variance": {"count": Fraction(1, 3), "sum": Fraction(1, 3), "squares": Fraction(1, 3)},
    "quantile": {"count": Fraction(1, 4), "select": Fraction(3, 4)},
}
"""How a query's budget is split between its measurements. The count of every release is
the noisy support the row-count rules act on."""


@dataclass(frozen=True)
class MechanismReport:
    """One OpenDP measurement of a release."""

    part: str
    """What it noised: ``count``, ``sum``, ``squares`` or ``select``."""
    mechanism: str
    scale: float
    cost: PrivacyCost
    threshold: int | None = None

    def to_dict(self, accounting: Accounting) -> dict[str, Any]:
        """JSON-ready form."""
        return {"part": self.part, "mechanism": self.mechanism, "scale": self.scale,
                "cost": self.cost.describe(accounting), "threshold": self.threshold}


@dataclass(frozen=True)
class ReleaseReport:
    """What a release cost and what was done to it; holds no data value."""

    dataset: str
    version: int
    operation: str
    column: str | None
    keys: tuple[str, ...]
    accounting: Accounting
    cost: PrivacyCost
    """The exact cost: the sum of what OpenDP's maps give for the measurements used."""
    charged: PrivacyCost
    """What the ledger debited: ``cost`` rounded up to ledger units."""
    mechanisms: tuple[MechanismReport, ...]
    privacy_unit: str | None
    contribution_bound: int
    partition_selection: bool
    groups_released: int
    suppressed: int
    truncated: int
    """Selected groups dropped to respect ``max_output_cells`` (the smallest noisy counts)."""
    row_count: RowCountReport
    charge_id: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "dataset": self.dataset, "version": self.version, "operation": self.operation,
            "column": self.column, "keys": list(self.keys),
            "accounting": str(self.accounting),
            "cost": self.cost.describe(self.accounting),
            "loss": float(self.cost.loss), "delta": float(self.cost.delta),
            "charged": self.charged.describe(self.accounting),
            "mechanisms": [m.to_dict(self.accounting) for m in self.mechanisms],
            "privacy_unit": self.privacy_unit, "contribution_bound": self.contribution_bound,
            "partition_selection": self.partition_selection,
            "groups_released": self.groups_released, "suppressed": self.suppressed,
            "truncated": self.truncated, "row_count": self.row_count.to_dict(),
            "charge_id": self.charge_id,
        }


@dataclass(frozen=True)
class Release:
    """A DP output: a number (``None`` when suppressed) or a table of groups, with its report.

    Scalar releases format and convert like their number: ``f"{release:.0f}"``.
    """

    value: int | float | pa.Table | None
    report: ReleaseReport

    def rows(self) -> list[dict[str, Any]]:
        """A table release as a list of dicts (a scalar one as a one-row list)."""
        if isinstance(self.value, pa.Table):
            rows: list[dict[str, Any]] = self.value.to_pylist()
            return rows
        return [{"value": self.value}]

    def __float__(self) -> float:
        if isinstance(self.value, int | float):
            return float(self.value)
        raise TypeError("this release is suppressed or a table, not a number")

    def __format__(self, spec: str) -> str:
        if self.value is None:
            return "suppressed"
        if isinstance(self.value, pa.Table):
            return format(str(self.value.to_pylist()), spec)
        return format(self.value, spec)


@dataclass(frozen=True)
class VersionInfo:
    """The catalog facts the engine needs about the dataset version it queries."""

    name: str
    version: int
    path: str
    sha256: str
    row_count: int
    dictionary: DataDictionary
    catalog_privacy_unit: str | None


@dataclass(frozen=True)
class _Dimension:
    """One dimension of a group key: a column's values, or numeric bins."""

    column: str
    allowed: tuple[Any, ...] | None
    """Declared (public) values, or ``None``: keys come from partition selection."""
    bins: tuple[float, ...] | None = None


@dataclass(frozen=True)
class _Query:
    operation: str
    keys: tuple[ColumnSpec, ...]
    epsilon: Fraction
    delta: Fraction | None
    value: ColumnSpec | None = None
    lower: float = 0.0
    upper: float = 0.0
    q: Fraction | None = None
    histogram: ColumnSpec | None = None
    edges: tuple[float, ...] | None = None


@dataclass
class _Plan:
    query: _Query
    dimensions: tuple[_Dimension, ...]
    selection: bool
    parts: dict[str, Calibrated] = field(default_factory=dict)
    grid: Grid | None = None
    candidates: tuple[float, ...] | None = None
    alpha: tuple[int, int] = (1, 2)

    @property
    def cost(self) -> PrivacyCost:
        total = PrivacyCost.zero()
        for part in self.parts.values():
            total = total + part.cost
        return total


class QueryEngine:
    """Runs DP queries for one grant, charging its ledger (see the module docstring)."""

    def __init__(
        self,
        platform: Platform,
        ledger: BudgetLedger,
        *,
        grant: str,
        policy: Policy | Mapping[str, Policy],
        actor: Actor,
        executor: Executor | None = None,
        rows_per_bucket: int = ROWS_PER_BUCKET,
    ) -> None:
        """Bind the engine to a grant.

        Args:
            platform: The platform (catalog, data store, settings).
            ledger: The budget ledger every release is charged to.
            grant: The grant reference charged.
            policy: The effective policy, or a mapping of dataset name to effective policy
                (then only those datasets can be queried).
            actor: Who the charges are made for.
            executor: Where partial aggregates run; default Ray (local unless
                ``settings.ray_address``).
            rows_per_bucket: Target rows per bucket of contribution bounding.
        """
        self.platform = platform
        self.ledger = ledger
        self.grant = grant
        self.actor = actor
        self._policy = policy
        self._executor = executor
        self.rows_per_bucket = rows_per_bucket
        """Target rows per hash bucket of contribution bounding."""
        self.releases: list[Release] = []
        """Every release made through this engine, in order."""
        self._memo = PartialMemo()
        # Exact partial aggregates of recent releases: in memory, bounded, never released,
        # and not a public attribute (this object is handed to algorithm models).

    @property
    def executor(self) -> Executor:
        """The executor of partial aggregates (Ray unless one was given)."""
        if self._executor is None:
            self._executor = RayExecutor(self.platform.settings)
        return self._executor

    def _policy_for(self, name: str) -> Policy:
        if isinstance(self._policy, Policy):
            policy = self._policy
        else:
            found = self._policy.get(name)
            if found is None:
                raise PermissionDenied(f"this grant does not cover dataset {name!r}")
            policy = found
        _check_effective(policy)
        return policy

    def dataset(self, name: object) -> DatasetHandle:
        """A DP handle on the latest version of dataset ``name``."""
        if type(name) is not str:
            raise InvalidQuery("a dataset name must be a string")
        policy = self._policy_for(name)
        with self.platform.sessions() as session:
            row = dataset_row(session, name)
            refuse_if_suspended(session, name)
            metadata = metadata_of(row)
            if metadata.open_attribute is OpenAttribute.CLOSED:
                raise AccessRefused(f"dataset {name!r} is not open: it cannot be queried")
            version = version_row(session, row, None)
            info = VersionInfo(
                name=name, version=version.version, path=version.storage_path,
                sha256=version.sha256, row_count=version.row_count,
                dictionary=metadata.dictionary, catalog_privacy_unit=metadata.privacy_unit,
            )
        return DatasetHandle(self, info, policy)


def _check_effective(policy: Policy) -> None:
    missing = [name for name in ("contribution_bound", "accounting", "per_query_cap", "delta")
               if getattr(policy, name) is None]
    rules = policy.row_count
    missing += [f"row_count.{name}" for name in
                ("min_count", "rounding", "suppression_threshold", "max_output_cells")
                if getattr(rules, name) is None]
    if missing:
        raise InvalidRequest(f"the query engine needs an effective policy; unset: {missing}")
    assert policy.contribution_bound is not None
    if policy.contribution_bound < 1:
        raise InvalidRequest("the policy's contribution bound must be at least 1")


class _Operations:
    """The aggregates shared by a dataset handle and a grouped handle."""

    _dataset: DatasetHandle
    _keys: tuple[ColumnSpec, ...]

    def count(self, *, epsilon: object = None, delta: object = None) -> Release:
        """Noisy number of rows (per group)."""
        query = _Query("count", self._keys, epsilon_of(epsilon), delta_of(delta))
        return self._dataset._run(query)

    def sum(self, column: object, *, lower: object = None, upper: object = None,
            epsilon: object = None, delta: object = None) -> Release:
        """Noisy sum of ``column`` clamped to ``[lower, upper]``; nulls add nothing."""
        return self._dataset._run(self._numeric("sum", column, lower, upper, epsilon, delta))

    def mean(self, column: object, *, lower: object = None, upper: object = None,
             epsilon: object = None, delta: object = None) -> Release:
        """Noisy mean of the non-null values of ``column`` clamped to ``[lower, upper]``."""
        return self._dataset._run(self._numeric("mean", column, lower, upper, epsilon, delta))

    def variance(self, column: object, *, lower: object = None, upper: object = None,
                 epsilon: object = None, delta: object = None) -> Release:
        """Noisy (population) variance of the clamped non-null values of ``column``."""
        return self._dataset._run(
            self._numeric("variance", column, lower, upper, epsilon, delta))

    def quantile(self, column: object, q: object = None, *, lower: object = None,
                 upper: object = None, epsilon: object = None, delta: object = None
                 ) -> Release:
        """The ``q``-quantile of ``column``, chosen by the exponential mechanism."""
        dictionary = self._dataset.info.dictionary
        spec = column_of(dictionary, column, numeric=True)
        if q is None:
            raise InvalidQuery("quantile needs q= (for example 0.5 for the median)")
        level = quantile_of(q)
        low, high = bounds_of(lower, upper, "quantile")
        return self._dataset._run(_Query("quantile", self._keys, epsilon_of(epsilon),
                                         delta_of(delta), value=spec, lower=low, upper=high,
                                         q=level))

    def histogram(self, column: object, *, epsilon: object = None, bins: object = None,
                  lower: object = None, upper: object = None, delta: object = None
                  ) -> Release:
        """Noisy counts per category (declared, or selected with ``delta``) or numeric bin."""
        spec = column_of(self._dataset.info.dictionary, column, numeric=False)
        edges: tuple[float, ...] | None = None
        if spec.type.is_numeric:
            edges = bin_edges(bins, lower, upper)
        else:
            if bins is not None or lower is not None or upper is not None:
                raise InvalidQuery(f"column {spec.name!r} is categorical: bins and bounds "
                                   "apply to numeric columns only")
            key_column_allowed(spec)
            if any(k.name == spec.name for k in self._keys):
                raise InvalidQuery(f"column {spec.name!r} is already a group key")
        return self._dataset._run(_Query("histogram", self._keys, epsilon_of(epsilon),
                                         delta_of(delta), histogram=spec, edges=edges))

    def _numeric(self, operation: str, column: object, lower: object, upper: object,
                 epsilon: object, delta: object) -> _Query:
        spec = column_of(self._dataset.info.dictionary, column, numeric=True)
        low, high = bounds_of(lower, upper, operation)
        return _Query(operation, self._keys, epsilon_of(epsilon), delta_of(delta),
                      value=spec, lower=low, upper=high)


class GroupedHandle(_Operations):
    """``dataset.group_by(keys)``: the same aggregates, one row per group."""

    def __init__(self, dataset: DatasetHandle, keys: tuple[ColumnSpec, ...]) -> None:
        self._dataset = dataset
        self._keys = keys

    @property
    def keys(self) -> tuple[str, ...]:
        """The key column names."""
        return tuple(k.name for k in self._keys)


class DatasetHandle(_Operations):
    """A DP handle on one dataset version (see the module docstring)."""

    def __init__(self, engine: QueryEngine, info: VersionInfo, policy: Policy) -> None:
        self._dataset = self
        self._keys = ()
        self.engine = engine
        self.info = info
        self.policy = policy
        self.privacy_unit = policy.privacy_unit or info.catalog_privacy_unit
        if self.privacy_unit is not None and self.privacy_unit not in info.dictionary.by_name:
            raise InvalidRequest(f"the privacy unit column {self.privacy_unit!r} is not a "
                                 f"column of dataset {info.name!r}")
        assert policy.contribution_bound is not None
        self.contribution_bound = policy.contribution_bound if self.privacy_unit else 1
        """Most rows one privacy unit contributes after bounding (1 without a unit)."""
        self._bounded: BoundedVersion | None = None
        self.last_release: Release | None = None

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self.info.name

    def group_by(self, keys: object) -> GroupedHandle:
        """Group by one or more categorical columns (never identifier or sensitive ones)."""
        return GroupedHandle(self, key_columns(self.info.dictionary, keys))

    # --- the pipeline --------------------------------------------------------------------

    def bounded(self) -> BoundedVersion:
        """The version's fragments after contribution bounding (computed once, kept)."""
        if self._bounded is None:
            store = self.engine.platform.store
            self._bounded = bounded_version(
                store.filesystem, store.root, self.info.path, self.info.sha256,
                self.privacy_unit, self.contribution_bound, self.info.row_count,
                self.engine.executor, rows_per_bucket=self.engine.rows_per_bucket,
            )
        return self._bounded

    def _refuse_if_suspended(self) -> None:
        """Refuse while the dataset is suspended after a complaint (or withdrawn)."""
        with self.engine.platform.sessions() as session:
            refuse_if_suspended(session, self.info.name)

    def _run(self, query: _Query) -> Release:
        plan = self._plan(query)
        cost = plan.cost
        check_query_cost(self.policy, cost)
        engine = self.engine
        accounting = self.policy.accounting
        assert accounting is not None
        self._refuse_if_suspended()
        # Fail fast on an exhausted budget before the (one-off, possibly long) bounding.
        engine.ledger.check(engine.grant, self.info.name, cost, accounting=accounting)
        bounded = self.bounded()
        charge = engine.ledger.spend(engine.grant, self.info.name, cost,
                                     _purpose(self.info, query), engine.actor,
                                     accounting=accounting)
        partial_plan = self._partial_plan(plan)
        # The bounded copy is determined by the immutable version, the unit and the bound.
        data = (self.info.sha256, self.privacy_unit, self.contribution_bound)
        partial = engine._memo.get(data, partial_plan)
        if partial is None:
            partial = run_partials(engine.executor, engine.platform.store.filesystem,
                                   bounded.fragments, partial_plan)
            engine._memo.put(data, partial_plan, partial)
        value, result_report, groups, truncated = self._noise_and_rules(plan, partial)
        # A suspension that came while computing freezes the release: the charge stays
        # spent (wasted), the output never leaves.
        self._refuse_if_suspended()
        engine.ledger.release(charge.id, engine.actor)
        column = query.value or query.histogram
        report = ReleaseReport(
            dataset=self.info.name, version=self.info.version, operation=query.operation,
            column=column.name if column is not None else None,
            keys=tuple(k.name for k in query.keys), accounting=accounting, cost=cost,
            charged=charge.cost,
            mechanisms=tuple(MechanismReport(part, c.mechanism, c.scale, c.cost, c.threshold)
                             for part, c in plan.parts.items()),
            privacy_unit=self.privacy_unit, contribution_bound=self.contribution_bound,
            partition_selection=plan.selection, groups_released=groups,
            suppressed=result_report.suppressed, truncated=truncated,
            row_count=result_report, charge_id=charge.id,
        )
        release = Release(value, report)
        engine.releases.append(release)
        self.last_release = release
        return release

    def _plan(self, query: _Query) -> _Plan:
        """Dimensions, measurements and exact cost; raises before anything is charged."""
        policy = self.policy
        accounting = policy.accounting
        assert accounting is not None and policy.delta is not None
        dimensions = [_dimension_of(spec) for spec in query.keys]
        if query.histogram is not None:
            if query.edges is not None:
                dimensions.append(_Dimension(query.histogram.name, None, bins=query.edges))
            else:
                dimensions.append(_dimension_of(query.histogram))
        selection = any(d.allowed is None and d.bins is None for d in dimensions)
        cells_per_group = 1 if query.operation in ("count", "histogram") else 2
        limit = policy.row_count.max_output_cells
        assert limit is not None
        if selection:
            if query.delta is None or query.delta == 0:
                raise InvalidQuery(
                    "these group keys have no declared categories: partition selection "
                    "needs delta=<a small positive number>")
            if query.delta > policy.delta:
                raise InvalidQuery(f"delta may be at most the policy's delta "
                                   f"({float(policy.delta):.3g})")
        else:
            groups = math.prod(_size(d) for d in dimensions)
            if groups > MAX_PUBLIC_GROUPS:
                raise InvalidQuery(f"the declared keys make {groups} groups; at most "
                                   f"{MAX_PUBLIC_GROUPS} are supported")
            if groups * cells_per_group > limit:
                raise OutputTooLarge(cells=groups * cells_per_group, limit=limit)
        plan = _Plan(query, tuple(dimensions), selection)
        budget = budget_of(accounting, query.epsilon)
        shares = _SHARES[query.operation]
        c = self.contribution_bound
        if selection:
            assert query.delta is not None
            plan.parts["count"] = partition_selection(accounting, c, budget * shares["count"],
                                                      query.delta)
        else:
            plan.parts["count"] = integer_noise(accounting, c, budget * shares["count"])
        # One grid step per (lower, upper): a sum and a mean or variance on the same bounds
        # sum the same raw units (one pass, see sandbox.engine.memo). A sum is uncentred,
        # so its sensitivity is max(|lower|, |upper|) in units; a mean or variance is
        # centred on the grid point nearest the midpoint, so its sum's sensitivity is about
        # half the range. Each sensitivity is computed from the units of its own grid
        # (Grid.max_units), so sharing the raw units never understates it.
        if query.operation == "sum":
            plan.grid = Grid.for_sum(query.lower, query.upper)
        elif query.operation in ("mean", "variance", "quantile"):
            plan.grid = Grid.centred(query.lower, query.upper)
        if query.operation in ("sum", "mean", "variance"):
            assert plan.grid is not None
            plan.parts["sum"] = integer_noise(accounting, c * plan.grid.max_units,
                                              budget * shares["sum"])
        if query.operation == "variance":
            assert plan.grid is not None
            plan.parts["squares"] = integer_noise(accounting, c * plan.grid.max_square_units,
                                                  budget * shares["squares"])
        if query.operation == "quantile":
            assert query.q is not None and query.value is not None
            level = query.q.limit_denominator(QUANTILE_DENOMINATOR)
            plan.alpha = (level.numerator, level.denominator)
            plan.candidates = _candidates(query.value, query.lower, query.upper)
            a, b = plan.alpha
            plan.parts["select"] = noisy_min(accounting, c * max(a, b - a),
                                             budget * shares["select"])
        return plan

    def _partial_plan(self, plan: _Plan) -> PartialPlan:
        query = plan.query
        keys = tuple(KeySpec(d.column, d.allowed) for d in plan.dimensions if d.bins is None)
        bins = next((BinSpec(d.column, d.bins) for d in plan.dimensions if d.bins is not None),
                    None)
        value = None
        if query.value is not None:
            assert plan.grid is not None
            moments = {"sum": 1, "mean": 1, "variance": 2}.get(query.operation, 0)
            value = ValueSpec(query.value.name, plan.grid, moments, plan.candidates)
        return PartialPlan(keys, bins, value)

    def _noise_and_rules(self, plan: _Plan, partial: Partial
                         ) -> tuple[Any, RowCountReport, int, int]:
        query = plan.query
        has_bins = any(d.bins is not None for d in plan.dimensions)
        # Partial keys hold the key columns first, then the bin index (see PartialPlan).
        ordered = [d for d in plan.dimensions if d.bins is None] + \
                  [d for d in plan.dimensions if d.bins is not None]

        def support(stats: GroupStats) -> int:
            return stats.rows if query.value is None else stats.values

        truncated = 0
        if plan.selection:
            encoded = {_encode(key): key for key in partial}
            selected = plan.parts["count"]({code: support(partial[key])
                                            for code, key in encoded.items()})
            chosen = sorted(selected.items(), key=lambda item: item[0])
            limit = self.policy.row_count.max_output_cells
            assert limit is not None
            keep = limit // (1 if query.operation in ("count", "histogram") else 2)
            if len(chosen) > keep:
                truncated = len(chosen) - keep
                by_count = sorted(chosen, key=lambda item: -int(item[1]))[:keep]
                chosen = sorted(by_count, key=lambda item: item[0])
            keys: list[GroupKey] = [encoded[code] for code, _ in chosen]
            counts = [int(count) for _, count in chosen]
        else:
            keys = list(itertools.product(*[
                tuple(range(len(d.bins) - 1)) if d.bins is not None else (d.allowed or ())
                for d in ordered]))
            exact = [support(partial.get(key, GroupStats())) for key in keys]
            counts = [int(v) for v in plan.parts["count"](exact)] if keys else []
        stats = [partial.get(key, GroupStats()) for key in keys]
        values = self._values(plan, stats, counts)
        rows = [GroupRow(key, float(count), values[i]) for i, (key, count)
                in enumerate(zip(keys, counts, strict=True))]
        result = apply_row_count_rules(rows, self.policy.row_count)
        released = list(result.rows)
        if not query.keys and not has_bins and query.histogram is None:
            if not released:
                return None, result.report, 0, truncated
            row = released[0]
            if query.operation == "count":
                return int(row.count), result.report, 1, truncated
            return float(row.values[query.operation]), result.report, 1, truncated
        return (self._table(plan, ordered, released), result.report, len(released),
                truncated)

    def _values(self, plan: _Plan, stats: Sequence[GroupStats], counts: Sequence[int]
                ) -> list[dict[str, float]]:
        query = plan.query
        operation = query.operation
        if operation in ("count", "histogram") or not stats:
            return [{} for _ in stats]
        grid = plan.grid
        assert grid is not None
        if operation == "quantile":
            assert plan.candidates is not None
            selector = plan.parts["select"]
            return [{"quantile": float(plan.candidates[int(selector(
                group.quantile_scores(len(plan.candidates), plan.alpha)))])}
                for group in stats]
        sums = [int(v) for v in plan.parts["sum"]([s.units for s in stats])]
        if operation == "sum":
            return [{"sum": grid.value_of(total)} for total in sums]
        half = (query.upper - query.lower) / 2.0
        if operation == "mean":
            return [{"mean": _clamp(grid.offset + grid.value_of(total) / max(count, 1),
                                    query.lower, query.upper)}
                    for total, count in zip(sums, counts, strict=True)]
        squares = [int(v) for v in plan.parts["squares"]([s.squares for s in stats])]
        out = []
        for total, square, count in zip(sums, squares, counts, strict=True):
            n = max(count, 1)
            centred_mean = grid.value_of(total) / n
            variance = grid.square_value_of(square) / n - centred_mean * centred_mean
            out.append({"variance": _clamp(variance, 0.0, half * half)})
        return out

    def _table(self, plan: _Plan, ordered: Sequence[_Dimension], rows: Sequence[GroupRow]
               ) -> pa.Table:
        query = plan.query
        dictionary = self.info.dictionary
        columns: dict[str, pa.Array] = {}
        for index, dimension in enumerate(ordered):
            raw = [row.key[index] for row in rows]
            if dimension.bins is not None:
                columns["bin_lower"] = pa.array([dimension.bins[i] for i in raw], pa.float64())
                columns["bin_upper"] = pa.array([dimension.bins[i + 1] for i in raw],
                                                pa.float64())
            else:
                arrow_type = dictionary.by_name[dimension.column].type.arrow_type()
                columns[dimension.column] = pa.array(raw, arrow_type)
        columns["count"] = pa.array([int(row.count) for row in rows], pa.int64())
        if query.operation not in ("count", "histogram"):
            columns[query.operation] = pa.array(
                [row.values[query.operation] for row in rows], pa.float64())
        return pa.table(columns)


def _dimension_of(spec: ColumnSpec) -> _Dimension:
    if spec.categories is not None:
        return _Dimension(spec.name, tuple(spec.categories))
    if spec.type is ColumnType.BOOL:
        return _Dimension(spec.name, (False, True))
    return _Dimension(spec.name, None)


def _size(dimension: _Dimension) -> int:
    if dimension.bins is not None:
        return len(dimension.bins) - 1
    assert dimension.allowed is not None
    return len(dimension.allowed)


def _candidates(spec: ColumnSpec, lower: float, upper: float) -> tuple[float, ...]:
    first, last = math.ceil(lower), math.floor(upper)
    if spec.type is ColumnType.INT64 and 0 <= last - first < QUANTILE_CANDIDATES:
        return tuple(float(v) for v in range(first, last + 1))
    if lower == upper:
        return (lower,)
    step = (upper - lower) / (QUANTILE_CANDIDATES - 1)
    points = [lower + step * i for i in range(QUANTILE_CANDIDATES - 1)] + [upper]
    return tuple(sorted(set(min(max(p, lower), upper) for p in points)))


def _encode(key: GroupKey) -> str:
    """A group key as a string, for OpenDP's map of keys (injective and deterministic)."""
    return json.dumps([_plain(v) for v in key], separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _clamp(value: float, lower: float, upper: float) -> float:
    return min(max(value, lower), upper)


def _purpose(info: VersionInfo, query: _Query) -> str:
    column = query.value or query.histogram
    text = f"{query.operation}"
    if column is not None:
        text += f" of {column.name}"
    if query.keys:
        text += " by " + ", ".join(k.name for k in query.keys)
    return f"{text} on {info.name} v{info.version}"
