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

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.mock import mock_seed, mock_table
from sandbox.catalog.queries import dataset_row, metadata_of, version_row
from sandbox.catalog.synthetic import current_sample
from sandbox.datasets.integrity import Read, ensure_intact, reading, served
from sandbox.datasets.synthetic import sample_table
from sandbox.disclosure import InputValues
from sandbox.engine import DatasetHandle, InvalidQuery, QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.handle import QueriedVersion
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor
from sandbox.jobs.checking import input_values_of
from sandbox.jobs.helpers import RawHelpers
from sandbox.ledger import BudgetLedger
from sandbox.platform import Platform
from sandbox.policies import Policy
from sandbox.storage.datastore import DataStore
from sandbox.storage.integrity import verified_chunks

__all__ = ["MockData", "MockHelpers", "MockQueryEngine", "MockTable", "MockVersion"]


@dataclass(frozen=True)
class MockTable:
    """A dataset's mock table with the public facts that go with it."""

    name: str
    version: int
    """The number of the dataset's latest version, which the mock stands in for (a public
    catalog fact: nothing of the version's file is read)."""
    table: pa.Table
    dictionary: DataDictionary
    privacy_unit: str | None
    """The catalog's privacy unit column of the dataset."""
    seed: str


@dataclass(frozen=True)
class MockVersion(MockTable):
    """A mock table written to the mock store, where the engine reads it."""

    path: str
    """The Parquet file's path in the mock store."""
    sha256: str


class MockData:
    """The mock tables of a dry run's datasets in a private store (see the module doc)."""

    def __init__(self, versions: Mapping[str, MockVersion], store: DataStore) -> None:
        self.versions = dict(versions)
        self.store = store

    @classmethod
    def write(
        cls, platform: Platform, datasets: Iterable[str], rows: int, directory: Path
    ) -> MockData:
        """Generate the mock table of each of ``datasets`` with ``rows`` rows from its
        catalog entry's dictionary and write it under ``directory`` (an empty directory
        the caller removes).
        """
        tables = []
        for name in datasets:
            with platform.sessions() as session:
                row = dataset_row(session, name)
                metadata = metadata_of(row)
                number = version_row(session, row, None).version
                sample = current_sample(session, row)
            # The provider's DP synthetic sample, if it chose one, else the uniform mock.
            table = (
                mock_table(metadata.dictionary, name, rows)
                if sample is None
                else sample_table(platform, sample, rows)
            )
            tables.append(
                MockTable(
                    name=name,
                    version=number,
                    table=table,
                    dictionary=metadata.dictionary,
                    privacy_unit=metadata.privacy_unit,
                    seed=mock_seed(name),
                )
            )
        return cls.of_tables(tables, directory)

    @classmethod
    def of_tables(cls, tables: Iterable[MockTable], directory: Path) -> MockData:
        """Write mock tables already made (downloaded for a local run) under ``directory``."""
        store = DataStore(pafs.SubTreeFileSystem(str(directory), pafs.LocalFileSystem()), "")
        versions: dict[str, MockVersion] = {}
        for index, mock in enumerate(tables):
            path = f"/mock-{index}.parquet"
            with store.filesystem.open_output_stream(path) as sink:
                pq.write_table(mock.table, sink)
            versions[mock.name] = MockVersion(
                name=mock.name,
                version=mock.version,
                table=mock.table,
                dictionary=mock.dictionary,
                privacy_unit=mock.privacy_unit,
                seed=mock.seed,
                path=path,
                sha256=store.sha256(path),
            )
        return cls(versions, store)

    def tables(self) -> dict[str, pa.Table]:
        """Each dataset's mock table."""
        return {name: mock.table for name, mock in self.versions.items()}

    def input_values(self) -> InputValues:
        """The identifier and sensitive values of the mock tables (for the row-level check)."""
        return input_values_of((m.table, m.dictionary) for m in self.versions.values())


class MockQueryEngine(QueryEngine):
    """The trusted query engine over a dry run's mock tables (see the module doc).

    On the server (``catalog``) a handle is made after every check a real handle passes
    (the grant's policy covers the dataset, it is open and not suspended), then pointed at
    the mock; on a researcher's machine, which has no catalog, from the mock's own facts.
    """

    def __init__(
        self,
        platform: Platform,
        mock: MockData,
        ledger: BudgetLedger,
        *,
        grant: str,
        policy: Mapping[str, Policy],
        actor: Actor,
        catalog: bool = True,
    ) -> None:
        super().__init__(
            dataclasses.replace(platform, store=mock.store),
            ledger,
            grant=grant,
            policy=policy,
            actor=actor,
            pool=LocalTaskPool(),
        )
        self._mock = mock
        self._catalog = catalog
        self._real = platform
        self._copied: dict[str, QueriedVersion] = {}

    def public_table(self, name: object) -> QueriedVersion:
        """The public lookup table ``name``, copied into the dry run's store.

        A public table is an unconditional dataset: its rows are public, and a dry run
        joins the real ones, so that the lookup's keys, its rows per key (what the bound
        and the noise are calibrated at) and its columns are the job's. The catalog's
        checks are a job's; the file is hashed as it is copied (it is small:
        :data:`~sandbox.engine.joins.MAX_PUBLIC_ROWS` rows at most), so that the engine
        reads nothing outside its own store and nothing but the registered file. A run
        on downloaded mocks has no catalog, and no public table.
        """
        if not self._catalog:
            raise InvalidQuery(
                f"join_public(): a run on downloaded mocks has no public table {name!r}; "
                "dry-run the model on the server to join it"
            )
        real = super().public_table(name)
        if real.sha256 not in self._copied:
            with self._real.sessions() as session:
                stored = version_row(session, dataset_row(session, real.name), real.version)
                target = served(session, real.name, stored)
            path = f"/public-{real.sha256[:16]}.parquet"
            with reading(self._real, self.actor, target, Read.JOB):
                ensure_intact(self._real, self.actor, target, Read.JOB)
                with self.platform.store.filesystem.open_output_stream(path) as sink:
                    for chunk in verified_chunks(self._real.store, target.recorded):
                        sink.write(chunk)
            self._copied[real.sha256] = dataclasses.replace(real, path=path)
        return self._copied[real.sha256]

    def dataset(self, name: object) -> DatasetHandle:
        """A DP handle on the mock table of ``name``."""
        if not self._catalog:
            if type(name) is not str:
                raise InvalidQuery("a dataset name must be a string")
            policy = self._policy_for(name)
            mock = self._mock_of(name)
            return DatasetHandle(
                self,
                QueriedVersion(
                    name=name,
                    version=mock.version,
                    path=mock.path,
                    sha256=mock.sha256,
                    row_count=mock.table.num_rows,
                    dictionary=mock.dictionary,
                    catalog_privacy_unit=mock.privacy_unit,
                ),
                policy,
            )
        real = super().dataset(name)  # the catalog's checks; no row of the version is read
        mock = self._mock_of(real.name)
        info = dataclasses.replace(
            real.info, path=mock.path, sha256=mock.sha256, row_count=mock.table.num_rows
        )
        return DatasetHandle(self, info, real.policy)

    def _mock_of(self, name: str) -> MockVersion:
        mock = self._mock.versions.get(name)
        if mock is None:
            raise PermissionDenied(f"dataset {name!r} is not one of this dry run's")
        return mock


class MockHelpers(RawHelpers):
    """A raw-access dry run's helpers: the same outputs, computed from the mock tables."""

    def __init__(self, platform: Platform, mock: MockData) -> None:
        super().__init__(
            dataclasses.replace(platform, store=mock.store),
            {name: m.version for name, m in mock.versions.items()},
        )
        self._mock = mock

    def table(self, name: str) -> tuple[pa.Table, str | None]:
        """The mock table ``name`` (never a version's rows)."""
        mock = self._mock.versions[name]
        return mock.table, mock.privacy_unit
