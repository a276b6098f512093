"""A dry run's datasets as mock tables, and the trusted pieces that read them instead.

:class:`MockData` generates each dataset's mock table (:mod:`sandbox.catalog.mock`: from the
data dictionary alone) and writes it as Parquet into a private data store of its own: a
:class:`pyarrow.fs.SubTreeFileSystem` rooted in the dry run's temporary directory, so that
nothing reading through it can reach a real version's file, even by its path.

:class:`MockQueryEngine` is the trusted query engine itself, with every step of a real
job's DP calls (validation, plan, the per-query cap, the ledger's check and charge,
contribution bounding, exact partials, noise, the row-count rules), on a platform whose
data store is the mock one: only the rows it aggregates differ. :class:`MockHelpers`
answer a raw-access dry run's ``ctx.crosstab`` and ``ctx.regression`` from the mock tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.catalog.mock import mock_seed, mock_table
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.engine import DatasetHandle, QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor
from sandbox.jobs.helpers import RawHelpers
from sandbox.ledger import BudgetLedger
from sandbox.platform import Platform
from sandbox.policies import Policy
from sandbox.storage.datastore import DataStore

__all__ = ["MockData", "MockHelpers", "MockQueryEngine", "MockVersion"]


@dataclass(frozen=True)
class MockVersion:
    """One dataset's mock table and where the mock store keeps it."""

    name: str
    version: int
    """The number of the dataset's latest version, which the mock stands in for (a public
    catalog fact: nothing of the version's file is read)."""
    table: pa.Table
    path: str
    """The Parquet file's path in the mock store."""
    sha256: str
    seed: str
    privacy_unit: str | None
    """The catalog's privacy unit column of the dataset."""


class MockData:
    """The mock tables of a dry run's datasets in a private store (see the module doc)."""

    def __init__(self, versions: Mapping[str, MockVersion], store: DataStore) -> None:
        self.versions = dict(versions)
        self.store = store

    @classmethod
    def write(cls, platform: Platform, datasets: Iterable[str], rows: int, directory: Path
              ) -> MockData:
        """Generate the mock table of each of ``datasets`` with ``rows`` rows and write it
        under ``directory`` (an empty directory the caller removes).
        """
        store = DataStore(pafs.SubTreeFileSystem(str(directory), pafs.LocalFileSystem()), "")
        versions: dict[str, MockVersion] = {}
        for index, name in enumerate(datasets):
            with platform.sessions() as session:
                row = dataset_row(session, name)
                metadata = metadata_of(row)
                number = version_row(session, row, None).version
            table = mock_table(metadata.dictionary, name, rows)
            path = f"/mock-{index}.parquet"
            with store.filesystem.open_output_stream(path) as sink:
                pq.write_table(table, sink)
            versions[name] = MockVersion(
                name=name, version=number, table=table, path=path, sha256=store.sha256(path),
                seed=mock_seed(name), privacy_unit=metadata.privacy_unit)
        return cls(versions, store)

    def tables(self) -> dict[str, pa.Table]:
        """Each dataset's mock table."""
        return {name: mock.table for name, mock in self.versions.items()}


class MockQueryEngine(QueryEngine):
    """The trusted query engine over a dry run's mock tables (see the module doc)."""

    def __init__(self, platform: Platform, mock: MockData, ledger: BudgetLedger, *,
                 grant: str, policy: Mapping[str, Policy], actor: Actor) -> None:
        super().__init__(dataclasses.replace(platform, store=mock.store), ledger, grant=grant,
                         policy=policy, actor=actor, pool=LocalTaskPool())
        self._mock = mock

    def dataset(self, name: object) -> DatasetHandle:
        """A DP handle on the mock table of ``name``, made after every check a real handle
        passes (the grant's policy covers it, it is open and not suspended).
        """
        real = super().dataset(name)  # the catalog's checks; no row of the version is read
        mock = self._mock.versions.get(real.name)
        if mock is None:
            raise PermissionDenied(f"dataset {real.name!r} is not one of this dry run's")
        info = dataclasses.replace(real.info, path=mock.path, sha256=mock.sha256,
                                   row_count=mock.table.num_rows)
        return DatasetHandle(self, info, real.policy)


class MockHelpers(RawHelpers):
    """A raw-access dry run's helpers: the same outputs, computed from the mock tables."""

    def __init__(self, platform: Platform, mock: MockData) -> None:
        super().__init__(dataclasses.replace(platform, store=mock.store),
                         {name: m.version for name, m in mock.versions.items()})
        self._mock = mock

    def table(self, name: str) -> tuple[pa.Table, str | None]:
        """The mock table ``name`` (never a version's rows)."""
        mock = self._mock.versions[name]
        return mock.table, mock.privacy_unit
