"""A dataset's mock table for a run on the researcher's own machine (``sandbox run --mock``).

What a dry run on the server reads (:mod:`sandbox.catalog.mock`: rows generated from the data
dictionary alone, seeded by the dataset's name, so the same table as the server's dry run),
handed out with what a local run needs to behave as a job would: the effective policy under
the caller's grant, the job kinds that grant allows, and what the grant has left on the
dataset (never the dataset's lifetime remainder).

Who gets it: exactly who may dry-run the dataset on the server, a user account holding an
active grant covering it. Everyone else has the synthetic preview
(``GET /v1/datasets/{name}/preview``, 100 rows): the mock holds no more than the dictionary's
public facts, but it comes with the grant's policy and budget. Audited as ``dataset.mock``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from sandbox import audit, policy_store
from sandbox.access.grants import active_grant_for
from sandbox.access.model import JobKind
from sandbox.catalog.mock import mock_seed, mock_table
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.synthetic import current_sample
from sandbox.datasets.synthetic import sample_table
from sandbox.errors import NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.ledger import SqlLedger
from sandbox.platform import Platform
from sandbox.policies import to_dict
from sandbox.store.db import transaction

__all__ = ["MockDownload", "mock_download"]


@dataclass(frozen=True)
class MockDownload:
    """A dataset's mock table (as Parquet) and the facts a local run needs with it."""

    dataset: str
    version: int
    """The latest version's number, which the mock stands in for."""
    rows: int
    seed: str
    privacy_unit: str | None
    dictionary: list[dict[str, Any]]
    grant: str
    job_kinds: list[str]
    policy: dict[str, Any]
    """The dataset's effective policy under the grant, as a policy document."""
    grant_remaining_units: list[int] | None
    """What the grant has left on the dataset, in exact ledger units ``[loss, delta]``;
    ``None`` when the grant has no budget account there."""
    parquet: bytes
    dp_synthetic: dict[str, Any] | None = None
    """When the provider replaced the uniform mock by a DP synthetic sample: what it is
    (mechanism, epsilon, rows, ...); ``None`` for the uniform mock."""


def mock_download(
    platform: Platform, actor: Actor, name: str, *, grant: str | None = None
) -> MockDownload:
    """The mock table of ``name`` for ``actor`` (see the module docstring).

    Raises:
        PermissionDenied: ``actor`` is not a user account, or holds no active grant
            covering the dataset (or not ``grant``).
        NotFound: The dataset does not exist.
    """
    if actor.role is not Role.USER or actor.user_id is None:
        raise PermissionDenied(
            "mock tables go to user accounts under their grants; "
            "everyone may see the synthetic preview"
        )
    with transaction(platform.sessions) as session:
        row = dataset_row(session, name)
        held = active_grant_for(session, actor.user_id, name, JobKind.DP, grant_ref=grant)
        policy = policy_store.effective_under_grant(session, held.id, [name])[name]
        metadata = metadata_of(row)
        version = version_row(session, row, None).version
        rows = platform.settings.mock_rows
        sample = current_sample(session, row)
        if sample is not None:
            rows = min(rows, sample.rows)
        audit.record(
            session,
            actor,
            "dataset.mock",
            object_type="dataset",
            object_id=name,
            detail={"rows": rows, "grant": held.ref, "version": version},
        )
    try:
        left = SqlLedger(platform.sessions).account(name, held.ref).remaining
        units: list[int] | None = list(left.to_units(round_up=False))
    except NotFound:
        units = None
    buffer = io.BytesIO()
    if sample is None:
        pq.write_table(mock_table(metadata.dictionary, name, rows), buffer)
    else:  # the provider's DP synthetic sample, as a dry run on the server reads it
        pq.write_table(sample_table(platform, sample, rows), buffer)
    return MockDownload(
        dataset=name,
        version=version,
        rows=rows,
        seed=mock_seed(name),
        privacy_unit=metadata.privacy_unit,
        dictionary=metadata.dictionary.to_list(),
        grant=held.ref,
        job_kinds=[str(kind) for kind in held.job_kinds],
        policy=to_dict(policy),
        grant_remaining_units=units,
        parquet=buffer.getvalue(),
        dp_synthetic=sample.describe() if sample is not None else None,
    )
