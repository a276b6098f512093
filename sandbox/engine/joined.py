"""Joined DP handles: ``dataset.join(other, on=...)`` and ``dataset.join_public(table, on=...)``.

::

    visits = engine.dataset("visits")
    both = visits.join(engine.dataset("benefits"), on="person_id", truncate=2)
    placed = both.join_public("clinics", on="clinic_id")
    placed.group_by("clinic_district").sum("amount", lower=0, upper=500, epsilon=0.5)

A join returns a new :class:`~sandbox.engine.handle.DatasetHandle` whose rows are the
joined rows: its dictionary is the joined columns' (:func:`sandbox.engine.joins.merged`),
its privacy unit the left's, and its :class:`JoinSource` says where the rows come from,
which datasets a release charges (every granted dataset joined, in one transaction) and
which tables it reads, and the stability steps from the stored rows to the joined ones,
the most rows one unit has in them (what every measurement is calibrated at). Nothing is
read until a release runs; the joined copy is then built once
(:mod:`sandbox.engine.joining`) and aggregated like any version, the query's filter and
derived columns evaluated on the joined rows after the join and its bounds.

Arguments, refusals and stability are :mod:`sandbox.engine.joins`'; this module checks the
two handles and reads the catalog (a public table must be unconditional, open and not
suspended).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from sandbox.catalog.dictionary import ColumnType
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.suspension import refuse_if_suspended
from sandbox.engine.bounding import BoundedVersion, bounded_version
from sandbox.engine.joining import PrivateJoinJob, PublicJoinJob, joined_private, joined_public
from sandbox.engine.joins import (
    MAX_PUBLIC_ROWS,
    PRIVATE,
    PUBLIC,
    bound_of,
    how_of,
    key_column,
    merged,
    multiplicity_of,
    private_steps,
    public_columns,
    public_step,
    refuse,
    same_key_type,
    truncation_of,
)
from sandbox.engine.shape import Shape
from sandbox.engine.stability import StabilityStep, stability_steps
from sandbox.engine.validation import InvalidQuery
from sandbox.policies.shipped import combine_levels
from sandbox.storage.encryption import read_properties

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle, QueriedVersion, QueryEngine

Build = Callable[["QueryEngine"], BoundedVersion]
"""Builds (or loads) the joined fragments of a source."""


@dataclass(frozen=True)
class JoinSource:
    """Where a joined handle's rows come from (see the module docstring)."""

    unit: str | None
    """The privacy unit column of the joined rows (``None``: each row is its own unit)."""
    steps: tuple[StabilityStep, ...]
    """From the stored rows to the joined rows; the last one's bound is the distance."""
    datasets: tuple[QueriedVersion, ...]
    """The granted datasets read: each release charges every one of them."""
    tables: tuple[QueriedVersion, ...]
    """The public tables read (never charged: their data is unconditional)."""
    joins: tuple[dict[str, Any], ...]
    """The joins as the release report shows them."""
    build: Build = field(compare=False, repr=False)

    @property
    def rows_per_unit(self) -> int:
        """Most joined rows one privacy unit has (or changes)."""
        return self.steps[-1].rows_per_unit

    @property
    def charged(self) -> tuple[str, ...]:
        """The names of the datasets a release charges."""
        return tuple(v.name for v in self.datasets)

    def describe(self) -> str:
        """The joined rows in words, for a charge's purpose."""
        first = self.datasets[0]
        text = f"{first.name} v{first.version}"
        for join in self.joins:
            name = join["dataset"] if join["kind"] == "private" else join["table"]
            text += f" joined with {name} v{join['version']} on {join['on']}"
        return text


def _digest(parts: dict[str, Any]) -> str:
    """A name for a joined copy: the SHA-256 of everything that determines its rows."""
    return hashlib.sha256(json.dumps({"format": 1, **parts}, sort_keys=True).encode()).hexdigest()


def _plain(handle: object, call: str, side: str) -> DatasetHandle:
    from sandbox.engine.handle import DatasetHandle

    if not isinstance(handle, DatasetHandle):
        raise refuse(call, f"the {side} must be a dataset handle (engine.dataset(name))")
    if not handle.shape.is_empty:
        raise refuse(
            call,
            "join before where, bin, map or date_part: the filter and the "
            "derived columns then apply to the joined rows",
        )
    return handle


# --- the private join --------------------------------------------------------------------


@dataclass(frozen=True)
class _PrivateBuild:
    left: QueriedVersion
    right: QueriedVersion
    truncate: tuple[int, int]
    job: PrivateJoinJob
    digest: str

    def __call__(self, engine: QueryEngine) -> BoundedVersion:
        store = engine.platform.store
        sides = [
            bounded_version(
                store.filesystem,
                store.root,
                v.path,
                v.sha256,
                self.job.unit,
                k,
                v.row_count,
                engine.pool,
                rows_per_bucket=engine.rows_per_bucket,
            )
            for v, k in zip((self.left, self.right), self.truncate, strict=True)
        ]
        return joined_private(
            store.filesystem,
            store.root,
            self.digest,
            sides[0],
            sides[1],
            (self.left.row_count, self.right.row_count),
            self.job,
            engine.pool,
            rows_per_bucket=engine.rows_per_bucket,
        )


def join_private(
    left: DatasetHandle, other: object, on: object, truncate: object, bound: object
) -> DatasetHandle:
    """``left`` joined with ``other`` on their privacy unit, truncated (module docstring)."""
    from sandbox.engine.handle import DatasetHandle

    left = _plain(left, PRIVATE, "left side")
    right = _plain(other, PRIVATE, "other side")
    if left.source is not None or right.source is not None:
        raise refuse(
            PRIVATE, "a query joins two granted datasets at most once, before any join_public"
        )
    if right.engine is not left.engine:
        raise refuse(PRIVATE, "both datasets must come from the same grant's engine")
    names = (left.name, right.name)
    if names[0] == names[1]:
        raise refuse(PRIVATE, f"dataset {names[0]!r} cannot be joined with itself")
    keys = (
        key_column(PRIVATE, on, left.info.dictionary, names[0]),
        key_column(PRIVATE, on, right.info.dictionary, names[1]),
    )
    unit = keys[0].name
    for handle in (left, right):
        if handle.privacy_unit != unit:
            has = (
                f"its privacy unit is {handle.privacy_unit!r}"
                if handle.privacy_unit
                else "it has no privacy unit"
            )
            raise refuse(
                PRIVATE,
                f"column {unit!r} is not the privacy unit of "
                f"{handle.name!r} ({has}): two granted datasets are "
                "joined on the privacy unit of both",
            )
    same_key_type(PRIVATE, keys[0], keys[1], names)
    if left.policy.accounting is not right.policy.accounting:
        raise refuse(
            PRIVATE,
            f"{names[0]!r} keeps its budget under "
            f"{left.policy.accounting} accounting and {names[1]!r} under "
            f"{right.policy.accounting}: they cannot share a release",
        )
    k = truncation_of(truncate, (left.contribution_bound, right.contribution_bound), names)
    rows_bound = bound_of(bound)
    dictionary, left_names, right_names = merged(
        PRIVATE, left.info.dictionary, right.info.dictionary.columns, unit
    )
    steps = private_steps(names, unit, k, rows_bound)
    kept = rows_bound if rows_bound is not None and rows_bound < k[0] * k[1] else None
    job = PrivateJoinJob(unit, left_names, right_names, kept, max(k))
    digest = _digest(
        {
            "kind": "private",
            "left": left.info.sha256,
            "right": right.info.sha256,
            "unit": unit,
            "truncate": list(k),
            "bound": kept,
            "left_names": left_names,
            "right_names": right_names,
        }
    )
    source = JoinSource(
        unit=unit,
        steps=steps,
        datasets=(left.info, right.info),
        tables=(),
        joins=(
            {
                "kind": "private",
                "dataset": names[1],
                "version": right.info.version,
                "on": unit,
                "truncate": list(k),
                "bound": kept,
                "rows_per_unit": steps[-1].rows_per_unit,
            },
        ),
        build=_PrivateBuild(left.info, right.info, k, job, digest),
    )
    policy = replace(combine_levels([left.policy, right.policy]), privacy_unit=unit)
    return DatasetHandle(
        left.engine,
        replace(left.info, sha256=digest, dictionary=dictionary, catalog_privacy_unit=unit),
        policy,
        source=source,
    )


# --- the public join ---------------------------------------------------------------------


@dataclass(frozen=True)
class _PublicBuild:
    base: DatasetHandle
    table: QueriedVersion
    job: PublicJoinJob
    digest: str

    def __call__(self, engine: QueryEngine) -> BoundedVersion:
        store = engine.platform.store
        return joined_public(
            store.filesystem,
            store.root,
            self.digest,
            self.base.bounded(),
            self.table.path,
            self.job,
            engine.pool,
        )


def public_table(engine: QueryEngine, name: object) -> QueriedVersion:
    """The latest version of the public table ``name``: unconditional, open, not suspended."""
    from sandbox.engine.handle import QueriedVersion

    if type(name) is not str:
        raise refuse(PUBLIC, "the table must be named by a string")
    with engine.platform.sessions() as session:
        row = dataset_row(session, name)
        metadata = metadata_of(row)
        if metadata.open_attribute is not OpenAttribute.UNCONDITIONAL:
            raise refuse(
                PUBLIC,
                f"dataset {name!r} is {metadata.open_attribute}: only an "
                "unconditional dataset of the catalog is a public table",
            )
        refuse_if_suspended(session, name)
        version = version_row(session, row, None)
    if version.row_count > MAX_PUBLIC_ROWS:
        raise refuse(
            PUBLIC,
            f"table {name!r} has more than {MAX_PUBLIC_ROWS} rows: too large "
            "to join as a lookup table",
        )
    return QueriedVersion(
        name=name,
        version=version.version,
        path=version.storage_path,
        sha256=version.sha256,
        row_count=version.row_count,
        dictionary=metadata.dictionary,
        catalog_privacy_unit=metadata.privacy_unit,
    )


def join_public(handle: DatasetHandle, table: object, on: object, how: object) -> DatasetHandle:
    """``handle``'s rows joined with a public lookup table on ``on`` (module docstring)."""
    from sandbox.engine.handle import DatasetHandle

    handle = _plain(handle, PUBLIC, "left side")
    join_how = how_of(how)
    lookup = handle.engine.public_table(table)
    if lookup.name in {v.name for v in (handle.source.datasets if handle.source else ())}:
        raise refuse(PUBLIC, f"dataset {lookup.name!r} is already joined")
    keys = (
        key_column(PUBLIC, on, handle.info.dictionary, handle.name),
        key_column(PUBLIC, on, lookup.dictionary, lookup.name),
    )
    key = keys[0].name
    same_key_type(PUBLIC, keys[0], keys[1], (handle.name, lookup.name))
    unit = handle.privacy_unit
    if unit is not None and unit != key and unit in lookup.dictionary.by_name:
        raise refuse(
            PUBLIC,
            f"table {lookup.name!r} has a column named like the privacy "
            f"unit {unit!r}: it would be renamed",
        )
    texts = [
        s.name
        for s in lookup.dictionary.columns
        if s.type is ColumnType.STRING and s.categories is None and s.name != key
    ]
    store = handle.engine.platform.store
    read = pq.read_table(
        lookup.path,
        columns=[key, *texts],
        filesystem=store.filesystem,
        decryption_properties=read_properties(),
    )
    multiplicity = multiplicity_of(read[key], lookup.name, key)
    specs = public_columns(lookup.dictionary, {name: read[name] for name in texts})
    dictionary, own_names, table_names = merged(PUBLIC, handle.info.dictionary, specs, key)
    before = (
        handle.source.steps
        if handle.source is not None
        else stability_steps(Shape(), unit, handle.contribution_bound)
    )
    steps = (
        *before,
        public_step(before[-1].rows_per_unit, lookup.name, key, join_how, multiplicity),
    )
    job = PublicJoinJob(key, join_how, own_names, table_names, multiplicity)
    digest = _digest(
        {
            "kind": "public",
            "rows": handle.info.sha256,
            "unit": unit,
            "rows_per_unit": before[-1].rows_per_unit,
            "table": lookup.sha256,
            "on": key,
            "how": join_how,
            "own_names": own_names,
            "table_names": table_names,
        }
    )
    previous = handle.source
    source = JoinSource(
        unit=unit,
        steps=steps,
        datasets=previous.datasets if previous is not None else (handle.info,),
        tables=(*(previous.tables if previous is not None else ()), lookup),
        joins=(
            *(previous.joins if previous is not None else ()),
            {
                "kind": "public",
                "table": lookup.name,
                "version": lookup.version,
                "on": key,
                "how": join_how,
                "rows_per_key": multiplicity,
                "rows_per_unit": steps[-1].rows_per_unit,
            },
        ),
        build=_PublicBuild(handle, lookup, job, digest),
    )
    return DatasetHandle(
        handle.engine,
        replace(handle.info, sha256=digest, dictionary=dictionary),
        handle.policy,
        source=source,
    )


# --- the wire form -----------------------------------------------------------------------

_FIELDS = {"private": ("dataset", "on", "truncate", "bound"), "public": ("table", "on", "how")}


def apply_join(
    handle: DatasetHandle, spec: object, open_dataset: Callable[[str], DatasetHandle]
) -> DatasetHandle:
    """One join of a DP request, as data: ``{"kind": "private", "dataset": ..., "on": ...,
    "truncate": ..., "bound": ...}`` or ``{"kind": "public", "table": ..., "on": ...,
    "how": ...}``. ``open_dataset`` opens the other granted dataset (the broker checks the
    job's grant for it first).
    """
    if not isinstance(spec, dict) or spec.get("kind") not in _FIELDS:
        raise InvalidQuery("a join must be an object whose kind is 'private' or 'public'")
    kind = spec["kind"]
    call = PRIVATE if kind == "private" else PUBLIC
    unknown = sorted(str(k)[:40] for k in spec if k != "kind" and k not in _FIELDS[kind])
    if unknown:
        raise refuse(call, f"unknown argument(s) {unknown[:5]}")
    if kind == "public":
        return join_public(handle, spec.get("table"), spec.get("on"), spec.get("how", "inner"))
    name = spec.get("dataset")
    if type(name) is not str:
        raise refuse(call, "the other dataset must be named by a string")
    return join_private(
        handle, open_dataset(name), spec.get("on"), spec.get("truncate"), spec.get("bound")
    )
