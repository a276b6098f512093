"""The DP handle of DESIGN.md: a trusted query engine usable directly from Python.

::

    engine = QueryEngine(platform, ledger, grant="G-1", policy=effective, actor=actor)
    census = engine.dataset("census")
    total = census.count(epsilon=0.1)
    by_region = census.group_by("region").mean("income", lower=0, upper=2e5, epsilon=0.5)
    old = census.where(["age", ">=", 65]).bin("income", [0, 2e4, 5e4, 1e9], name="band")
    table = old.group_by(["region", "band"]).count(epsilon=0.5)

``where``, ``bin``, ``map``, ``date_part`` (and ``derive``, their wire form) return a new
handle with a longer row-level shape (:mod:`sandbox.engine.shape`: filters as data,
derived columns with public categories); nothing is read until an aggregate runs, and the
shape is evaluated after contribution bounding, inside the partial-aggregate scan.
``join`` (another granted dataset, on the shared privacy unit) and ``join_public`` (a
lookup table) come before the shape and return a handle over the joined rows
(:mod:`sandbox.engine.joined`): its releases charge every granted dataset joined.

Every call runs the same steps, in this order:

1. validate every argument (:mod:`sandbox.engine.validation`): nothing is read or charged
   for a bad request, and no error quotes a data value;
2. plan it (:mod:`sandbox.engine.plan`): build the OpenDP measurements
   (:mod:`sandbox.engine.measurements`) and sum their exact costs as OpenDP's maps give
   them; refuse a cost above the per-query cap or one the budget cannot pay
   (``ledger.check``);
3. bound contributions (once per version, kept) and charge the ledger (``spend``),
   *before* anything is computed;
4. compute exact partial aggregates of the bounded fragments in parallel (Ray) and combine
   them (or take them from the engine's memo of exact aggregates, :mod:`sandbox.engine.memo`,
   when an earlier release read the same data, keys, column and bounds), then add noise
   once (:mod:`sandbox.engine.postprocess`): every release draws fresh noise and is
   charged, memoised or not;
5. apply the row-count rules (:mod:`sandbox.policies.rowcount`);
6. mark the charge released and return a :class:`~sandbox.engine.report.Release`: the
   value and its report (:mod:`sandbox.engine.report`).

The aggregate calls themselves (``count``, ``sum``, ...) only validate their arguments
into a query (:mod:`sandbox.engine.operations`).

A crash between 3 and 6 leaves the charge spent but unreleased: budget may be wasted, but
no output ever leaves uncharged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.suspension import refuse_if_suspended
from sandbox.engine.bounding import ROWS_PER_BUCKET, BoundedVersion, bounded_version
from sandbox.engine.charging import check_budgets, spend_budgets
from sandbox.engine.compute import RayTaskPool, TaskPool, run_partials
from sandbox.engine.distinct import distinct_partial
from sandbox.engine.memo import PartialMemo
from sandbox.engine.models.calls import GroupedModelCalls, ModelCalls
from sandbox.engine.operations import Aggregates
from sandbox.engine.partial_plan import Partial
from sandbox.engine.plan import Query, partial_plan_of, plan_query
from sandbox.engine.postprocess import noise_and_rules
from sandbox.engine.report import MechanismReport, Release, ReleaseReport
from sandbox.engine.shape import KeyColumn, Shape
from sandbox.engine.validation import InvalidQuery
from sandbox.errors import AccessRefused, InvalidRequest, PermissionDenied
from sandbox.identity.model import Actor
from sandbox.ledger import BudgetLedger
from sandbox.platform import Platform
from sandbox.policies.accounting import check_query_cost
from sandbox.policies.model import Policy

if TYPE_CHECKING:
    from sandbox.engine.joined import JoinSource
    from sandbox.engine.synth.release import SynthRelease


@dataclass(frozen=True)
class QueriedVersion:
    """The dataset version a handle queries: the catalog facts the engine needs of it.

    Read once when the handle is made (the latest version then), so every release of the
    handle reads the same immutable file. Unlike the catalog's
    :class:`~sandbox.catalog.model.VersionInfo` (a version's public record), it holds where
    the file is and the dictionary and privacy unit of the dataset.
    """

    name: str
    version: int
    path: str
    sha256: str
    row_count: int
    dictionary: DataDictionary
    catalog_privacy_unit: str | None


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
        pool: TaskPool | None = None,
        rows_per_bucket: int = ROWS_PER_BUCKET,
        job: int | None = None,
    ) -> None:
        """Bind the engine to a grant.

        Args:
            platform: The platform (catalog, data store, settings).
            ledger: The budget ledger every release is charged to.
            grant: The grant reference charged.
            policy: The effective policy, or a mapping of dataset name to effective policy
                (then only those datasets can be queried).
            actor: Who the charges are made for.
            pool: Where the trusted tasks (contribution bounding, partial aggregates)
                run; default Ray (local unless ``settings.ray_address``).
            rows_per_bucket: Target rows per bucket of contribution bounding.
            job: The job whose DP calls this engine answers, recorded with each charge
                (``None``: the engine is used outside a job).
        """
        self.platform = platform
        self.ledger = ledger
        self.grant = grant
        self.actor = actor
        self.job = job
        self._policy = policy
        self._pool = pool
        self.rows_per_bucket = rows_per_bucket
        """Target rows per hash bucket of contribution bounding."""
        self.releases: list[Release] = []
        """Every release made through this engine, in order."""
        self._memo = PartialMemo()
        # Exact partial aggregates of recent releases: in memory, bounded, never released,
        # and not a public attribute (this object is handed to algorithm models).

    @property
    def pool(self) -> TaskPool:
        """Where bounding and partial aggregates run (Ray unless one was given)."""
        if self._pool is None:
            self._pool = RayTaskPool(self.platform.settings)
        return self._pool

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
            info = QueriedVersion(
                name=name,
                version=version.version,
                path=version.storage_path,
                sha256=version.sha256,
                row_count=version.row_count,
                dictionary=metadata.dictionary,
                catalog_privacy_unit=metadata.privacy_unit,
            )
        return DatasetHandle(self, info, policy)

    def public_table(self, name: object) -> QueriedVersion:
        """The latest version of the public lookup table ``name`` a ``join_public`` reads
        (:func:`sandbox.engine.joined.public_table`: unconditional, open, not suspended),
        as a file of this engine's store; a dry run's engine copies it into its own.
        """
        from sandbox.engine.joined import public_table

        return public_table(self, name)


def _check_effective(policy: Policy) -> None:
    missing = [
        name
        for name in ("contribution_bound", "accounting", "per_query_cap", "delta")
        if getattr(policy, name) is None
    ]
    rules = policy.row_count
    missing += [
        f"row_count.{name}"
        for name in ("min_count", "rounding", "suppression_threshold", "max_output_cells")
        if getattr(rules, name) is None
    ]
    if missing:
        raise InvalidRequest(f"the query engine needs an effective policy; unset: {missing}")
    assert policy.contribution_bound is not None
    if policy.contribution_bound < 1:
        raise InvalidRequest("the policy's contribution bound must be at least 1")


class GroupedHandle(Aggregates, GroupedModelCalls):
    """``dataset.group_by(keys)``: the same aggregates, one row per group."""

    def __init__(self, dataset: DatasetHandle, keys: tuple[KeyColumn, ...]) -> None:
        self._dataset = dataset
        self._keys = keys

    @property
    def keys(self) -> tuple[str, ...]:
        """The key column names."""
        return tuple(k.name for k in self._keys)

    def synthesize(self, columns: object, **_options: object) -> SynthRelease:
        """Refused: a synthetic table is of whole rows, not per group."""
        raise InvalidQuery("synthesize() makes whole rows: call it before group_by()")


class DatasetHandle(Aggregates, ModelCalls):
    """A DP handle on one dataset version (see the module docstring); its DP model calls
    (``linear_regression``, ...) run through :mod:`sandbox.engine.models.pipeline`.
    """

    def __init__(
        self,
        engine: QueryEngine,
        info: QueriedVersion,
        policy: Policy,
        shape: Shape | None = None,
        root: DatasetHandle | None = None,
        source: JoinSource | None = None,
    ) -> None:
        self._dataset = self
        self._keys = ()
        self.shape = shape or Shape()
        """Derived columns and filter every aggregate of this handle applies."""
        self._root = root or self
        self.engine = engine
        self.info = info
        self.policy = policy
        self.source = source
        """The joins the rows come from (:mod:`sandbox.engine.joined`); ``None``: the
        dataset's own rows."""
        self.privacy_unit = policy.privacy_unit or info.catalog_privacy_unit
        if source is not None:
            self.privacy_unit = source.unit
        if self.privacy_unit is not None and self.privacy_unit not in info.dictionary.by_name:
            raise InvalidRequest(
                f"the privacy unit column {self.privacy_unit!r} is not a "
                f"column of dataset {info.name!r}"
            )
        assert policy.contribution_bound is not None
        self.contribution_bound = policy.contribution_bound if self.privacy_unit else 1
        """Most rows one privacy unit contributes after bounding (1 without a unit; the
        joined rows' bound after a join)."""
        if source is not None:
            self.contribution_bound = source.rows_per_unit
        self._bounded: BoundedVersion | None = None
        self.last_release: Release | None = None

    @property
    def name(self) -> str:
        """The dataset's name."""
        return self.info.name

    def group_by(self, keys: object) -> GroupedHandle:
        """Group by one or more key columns: stored categorical ones (never identifier or
        sensitive) or derived ones.
        """
        return GroupedHandle(self, self.shape.key_columns(self.info.dictionary, keys))

    # --- the row-level shape (filters, derived columns) ----------------------------------

    def where(self, *conditions: object) -> DatasetHandle:
        """Only the rows meeting every condition (data, see :mod:`sandbox.engine.filters`)."""
        return self._shaped(self.shape.filtered(conditions, self.info.dictionary))

    def derive(self, spec: object) -> DatasetHandle:
        """One more derived column, from its wire form (see :mod:`sandbox.engine.derived`)."""
        return self._shaped(self.shape.derive(spec, self.info.dictionary))

    def bin(
        self, column: object, edges: object, *, name: object = None, labels: object = None
    ) -> DatasetHandle:
        """A column ``name`` (default ``<column>_bin``) of the bin of ``column`` in ``edges``."""
        return self.derive(
            {"kind": "bin", "column": column, "edges": edges, "name": name, "labels": labels}
        )

    def map(
        self, column: object, mapping: object, *, name: object = None, default: object = None
    ) -> DatasetHandle:
        """A column ``name`` (default ``<column>_group``) of coarser categories of ``column``."""
        return self.derive(
            {"kind": "map", "column": column, "mapping": mapping, "name": name, "default": default}
        )

    def date_part(
        self, column: object, part: object, *, name: object = None, years: object = None
    ) -> DatasetHandle:
        """A column ``name`` (default ``<column>_<part>``) of a part of a date column."""
        return self.derive(
            {"kind": "date_part", "column": column, "part": part, "name": name, "years": years}
        )

    def _shaped(self, shape: Shape) -> DatasetHandle:
        return DatasetHandle(self.engine, self.info, self.policy, shape, self._root, self.source)

    # --- joins (before the shape; see sandbox.engine.joined) -----------------------------

    def join(
        self, other: object, *, on: object = None, truncate: object = None, bound: object = None
    ) -> DatasetHandle:
        """The rows of this dataset joined with another granted dataset on their shared
        privacy unit ``on``, each side truncated to ``truncate`` rows per unit (one number,
        or one per side; default each one's contribution bound) and, with ``bound``, the
        joined rows bounded again per unit. A release charges both datasets.
        """
        from sandbox.engine.joined import join_private

        return join_private(self, other, on, truncate, bound)

    def join_public(
        self, table: object, *, on: object = None, how: object = "inner"
    ) -> DatasetHandle:
        """The rows joined with the public lookup table ``table`` (an unconditional dataset)
        on the column ``on`` both have; ``how="left"`` keeps rows without a match.
        """
        from sandbox.engine.joined import join_public

        return join_public(self, table, on, how)

    @property
    def charged_datasets(self) -> tuple[str, ...]:
        """The datasets every release of this handle charges (several after a join)."""
        return self.source.charged if self.source is not None else (self.info.name,)

    # --- DP synthetic data (sandbox.engine.synth) ---------------------------------------

    def synthesize(
        self,
        columns: object,
        *,
        rows: object = None,
        epsilon: object = None,
        delta: object = None,
        bins: object = None,
        bounds: object = None,
    ) -> SynthRelease:
        """A DP synthetic table of ``columns`` (MST), charged like any release; see
        :mod:`sandbox.engine.synth.release`.
        """
        from sandbox.engine.synth.release import synthesize

        return synthesize(self, columns, rows, epsilon, delta, bins, bounds)

    # --- the pipeline --------------------------------------------------------------------

    def bounded(self) -> BoundedVersion:
        """The version's fragments after contribution bounding (computed once per version
        and handle family, kept: every shaped handle shares its root's).
        """
        if self._root is not self:
            return self._root.bounded()
        if self._bounded is None and self.source is not None:
            self._bounded = self.source.build(self.engine)
        if self._bounded is None:
            store = self.engine.platform.store
            self._bounded = bounded_version(
                store.filesystem,
                store.root,
                self.info.path,
                self.info.sha256,
                self.privacy_unit,
                self.contribution_bound,
                self.info.row_count,
                self.engine.pool,
                rows_per_bucket=self.engine.rows_per_bucket,
            )
        return self._bounded

    def _refuse_if_suspended(self) -> None:
        """Refuse while a dataset read is suspended after a complaint (or withdrawn)."""
        names = self.charged_datasets
        if self.source is not None:
            names += tuple(t.name for t in self.source.tables)
        with self.engine.platform.sessions() as session:
            for name in names:
                refuse_if_suspended(session, name)

    def _run(self, query: Query) -> Release:
        query = replace(query, shape=self.shape)
        plan = plan_query(
            query,
            self.policy,
            self.contribution_bound,
            self.privacy_unit,
            self.source.steps if self.source is not None else (),
        )
        cost = plan.cost
        check_query_cost(self.policy, cost)
        engine = self.engine
        accounting = self.policy.accounting
        assert accounting is not None
        self._refuse_if_suspended()
        # Fail fast on an exhausted budget before the (one-off, possibly long) bounding.
        check_budgets(self, cost)
        bounded = self.bounded()
        purpose = _purpose(self.info, query, self.source)
        charges = spend_budgets(self, cost, purpose, query.operation.value)
        charge = charges[0]
        partial_plan = partial_plan_of(plan)
        # The bounded copy is determined by the immutable version, the unit and the bound.
        data = (self.info.sha256, self.privacy_unit, self.contribution_bound)
        partial: Partial | None
        if query.distinct is not None:  # distinct values: their own scan, never memoised
            partial = distinct_partial(
                engine.pool,
                engine.platform.store.filesystem,
                bounded.fragments,
                partial_plan,
                query.distinct.name,
            )
        else:
            partial = engine._memo.get(data, partial_plan)
            if partial is None:
                partial = run_partials(
                    engine.pool, engine.platform.store.filesystem, bounded.fragments, partial_plan
                )
                engine._memo.put(data, partial_plan, partial)
        noised = noise_and_rules(plan, partial, self.policy.row_count, self.info.dictionary)
        # A suspension that came while computing freezes the release: the charge stays
        # spent (wasted), the output never leaves.
        self._refuse_if_suspended()
        for paid in charges:
            engine.ledger.release(paid.id, engine.actor)
        column = query.value or query.histogram or query.distinct
        report = ReleaseReport(
            dataset=self.info.name,
            version=self.info.version,
            operation=query.operation,
            column=column.name if column is not None else None,
            keys=tuple(k.name for k in query.keys),
            accounting=accounting,
            cost=cost,
            charged=charge.cost,
            mechanisms=tuple(
                MechanismReport(part, c.mechanism, c.scale, c.charge, c.threshold, loss=c.cost)
                for part, c in plan.parts.items()
            ),
            privacy_unit=self.privacy_unit,
            contribution_bound=self.contribution_bound,
            partition_selection=plan.selection,
            groups_released=noised.groups,
            suppressed=noised.row_count.suppressed,
            truncated=noised.truncated,
            row_count=noised.row_count,
            charge_id=charge.id,
            transformations=plan.steps,
            statistics=tuple(s.value for s in query.statistics),
            joins=self.source.joins if self.source is not None else (),
            charge_ids=tuple(paid.id for paid in charges) if len(charges) > 1 else (),
        )
        release = Release(noised.value, report)
        engine.releases.append(release)
        self.last_release = release
        return release


def _purpose(info: QueriedVersion, query: Query, source: JoinSource | None = None) -> str:
    column = query.value or query.histogram or query.distinct
    text = query.operation.value
    if query.statistics:
        text += " (" + ", ".join(s.value for s in query.statistics) + ")"
    if column is not None:
        text += f" of {column.name}"
    if query.keys:
        text += " by " + ", ".join(k.name for k in query.keys)
    if query.shape.where is not None:
        text += " where " + ", ".join(sorted(query.shape.where.columns()))
    rows = source.describe() if source is not None else f"{info.name} v{info.version}"
    return f"{text} on {rows}"
