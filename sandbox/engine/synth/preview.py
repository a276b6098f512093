"""A provider's DP synthetic preview: MST in place of the uniform mock, paid from the lifetime.

A conditional dataset's preview (``GET /v1/datasets/{name}/preview``) and mock tables (dry
runs, ``sandbox run --mock``) are uniform rows generated from the data dictionary. Its
provider may choose to replace them with a realistic sample: a DP synthetic table made by
MST (:mod:`sandbox.engine.synth.release`) from the latest version. The sample is a DP
release like any other, so it is:

- charged before it is computed, to the dataset's **lifetime** budget: through the
  ledger's account :data:`PREVIEW_ACCOUNT` on the dataset, opened with the lifetime
  account's limit (a charge debits both accounts at once, so the lifetime account is what
  binds); recorded and audited as ``budget.charge`` and ``dataset.synthetic_preview``;
- refused with nothing stored and nothing charged if the lifetime budget (or the policy's
  per-query cap) cannot pay it, or any argument is bad;
- accounted under the dataset's effective policy (pure DP or zCDP, the contribution bound
  per privacy unit), like a researcher's release.

Columns the method cannot synthesize (identifiers, free text, undeclared dates, sensitive
categories) keep the uniform mock's dictionary-only values, so the sample has the dataset's
full schema and can stand in for the mock table of a dry run. The sample is written to the
data store and recorded in the catalog (:mod:`sandbox.catalog.synthetic`); the preview and
mock endpoints then serve it and say it is a DP synthetic sample with its epsilon.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox import audit, policy_store
from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import require_owner
from sandbox.catalog.preview import synthetic_rows
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.synthetic import SyntheticSample, record_sample, withdraw_sample
from sandbox.clock import utc_now
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.handle import QueryEngine
from sandbox.engine.shape import Shape
from sandbox.engine.synth.domain import bins_of, synth_domain
from sandbox.engine.synth.release import SynthRelease
from sandbox.engine.validation import InvalidQuery
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.ledger import Account, SqlLedger
from sandbox.platform import Platform
from sandbox.policies.budget import decimal_text
from sandbox.policies.model import Policy
from sandbox.store.db import transaction

__all__ = [
    "PREVIEW_ACCOUNT",
    "SyntheticPreview",
    "make_synthetic_preview",
    "synthesizable_columns",
    "withdraw_synthetic_preview",
]

PREVIEW_ACCOUNT = "synthetic-preview"
"""The ledger account (beside each grant's) that a dataset's synthetic previews are
charged through; grant references are ``grant-<id>``, so it never names a grant."""
DEFAULT_PREVIEW_ROWS = 1000
"""Rows of a synthetic preview unless the provider asks for another number."""
IN_PROCESS_ROWS = 1_000_000
"""Up to this many rows the counts are computed in the request's process; above, on Ray."""


@dataclass(frozen=True)
class SyntheticPreview:
    """A synthetic preview made: its catalog record and the release's report."""

    sample: SyntheticSample
    report: dict[str, Any]


def synthesizable_columns(dictionary: DataDictionary, bins: object = None) -> list[str]:
    """The columns MST can synthesize on their own (declared categories, booleans,
    numeric columns with declared bounds), in dictionary order.
    """
    count = bins_of(bins)
    found = []
    for spec in dictionary.columns:
        try:
            synth_domain(dictionary, Shape(), [spec.name], count)
        except InvalidQuery:
            continue
        found.append(spec.name)
    return found


def _full_table(dictionary: DataDictionary, synthetic: pa.Table, seed_text: str) -> pa.Table:
    """The synthetic columns, the other columns from the dictionary-only generator."""
    filler = synthetic_rows(dictionary, rows=synthetic.num_rows, seed_text=seed_text)
    arrays = []
    for field in dictionary.arrow_schema():
        if field.name in synthetic.column_names:
            arrays.append(synthetic[field.name].cast(field.type))
        else:
            arrays.append(filler[field.name])
    return pa.Table.from_arrays(arrays, schema=dictionary.arrow_schema())


def _lifetime_account(ledger: SqlLedger, name: str, policy: Policy) -> Account:
    """The dataset's lifetime account, opened from its effective policy if no grant has
    opened it yet (a provider may make the preview before anybody applies).
    """
    try:
        return ledger.account(name)
    except NotFound:
        assert policy.lifetime_budget is not None and policy.accounting is not None
        ledger.open_dataset_account(name, policy.lifetime_budget, policy.accounting)
        return ledger.account(name)


def make_synthetic_preview(
    platform: Platform,
    actor: Actor,
    name: str,
    *,
    epsilon: object,
    rows: object = None,
    columns: object = None,
    bins: object = None,
    bounds: object = None,
) -> SyntheticPreview:
    """Make, charge, store and record a DP synthetic preview of ``name`` (module docstring).

    Raises:
        PermissionDenied: ``actor`` is not a provider of the dataset's organisation.
        Conflict: The dataset is not conditional (open data previews real rows; closed
            data has no preview).
        InvalidQuery: A bad argument (nothing charged).
        BudgetExhausted: The lifetime budget or the per-query cap cannot pay (nothing
            charged, nothing stored).
    """
    with platform.sessions() as session:
        row = dataset_row(session, name)
        require_owner(actor, row.provider_org_id, "make its DP synthetic preview")
        if OpenAttribute(row.open_attribute) is not OpenAttribute.CONDITIONAL:
            raise Conflict(
                f"dataset {name!r} is {row.open_attribute}: only a conditional dataset's "
                "mock preview can be replaced by a DP synthetic sample"
            )
        policy = policy_store.effective_for_dataset(session, name)
        dictionary = metadata_of(row).dictionary
        size = version_row(session, row, None).row_count
    wanted = DEFAULT_PREVIEW_ROWS if rows is None else rows
    chosen = synthesizable_columns(dictionary, bins) if columns is None else columns
    if not chosen:
        raise InvalidRequest(
            f"dataset {name!r} has no column MST can synthesize (declared categories, "
            "booleans or numeric columns with declared bounds)"
        )
    ledger = SqlLedger(platform.sessions)
    lifetime = _lifetime_account(ledger, name, policy)
    try:
        ledger.open_grant_account(PREVIEW_ACCOUNT, name, lifetime.limit, lifetime.accounting)
    except Conflict:
        pass  # opened earlier (with the lifetime limit of then): the lifetime account binds
    engine = QueryEngine(
        platform,
        ledger,
        grant=PREVIEW_ACCOUNT,
        policy={name: policy},
        actor=actor,
        pool=LocalTaskPool() if size <= IN_PROCESS_ROWS else None,
    )
    handle = engine.dataset(name)
    release: SynthRelease = handle.synthesize(
        chosen, rows=wanted, epsilon=epsilon, bins=bins, bounds=bounds
    )
    report = release.report.to_dict()
    table = _full_table(dictionary, release.table, f"{name}/synthetic")
    store = platform.store
    directory = f"{store.root}/_synthetic/{name}"
    store.filesystem.create_dir(directory, recursive=True)
    path = f"{directory}/s-{uuid.uuid4().hex[:12]}.parquet"
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    with store.filesystem.open_output_stream(path) as sink:
        sink.write(buffer.getvalue())
    with transaction(platform.sessions) as session:
        row = dataset_row(session, name)
        sample = record_sample(
            session,
            row,
            version=handle.info.version,
            path=path,
            sha256=store.sha256(path),
            rows=table.num_rows,
            epsilon=decimal_text(release.report.epsilon),
            accounting=release.report.accounting.value,
            charged=report["charged"],
            charge_id=release.report.charge_id,
            report=report,
            created_by=actor.user_id if actor.user_id is not None else 0,
            at=utc_now(),
        )
        audit.record(
            session,
            actor,
            "dataset.synthetic_preview",
            object_type="dataset",
            object_id=name,
            detail={
                "version": sample.version,
                "rows": sample.rows,
                "epsilon": sample.epsilon,
                "charged": sample.charged,
                "charge_id": sample.charge_id,
                "columns": list(release.report.columns),
            },
        )
    return SyntheticPreview(sample, report)


def withdraw_synthetic_preview(
    platform: Platform, actor: Actor, name: str
) -> SyntheticSample | None:
    """Serve the uniform mock again (the budget spent stays spent); the sample withdrawn,
    ``None`` when none was in force (idempotent).

    Raises:
        PermissionDenied: Not a provider of the dataset's organisation.
        NotFound: The dataset does not exist.
    """
    with transaction(platform.sessions) as session:
        row = dataset_row(session, name)
        require_owner(actor, row.provider_org_id, "withdraw its DP synthetic preview")
        withdrawn = withdraw_sample(session, row, utc_now())
        if withdrawn is not None:
            audit.record(
                session,
                actor,
                "dataset.synthetic_preview_withdrawn",
                object_type="dataset",
                object_id=name,
                detail={"sample": withdrawn.id, "version": withdrawn.version},
            )
    return withdrawn
