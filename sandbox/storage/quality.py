"""The quality report of a dataset version: nulls, duplicates and type errors per column.

It is computed while the version is ingested (one pass over the batches) plus one
column-at-a-time pass over the stored Parquet for distinct counts, so memory stays bounded
by one column, not by the dataset. The report holds counts only, never a value: it is shown
to users of conditional data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.catalog.dictionary import ColumnSpec, DataDictionary
from sandbox.storage.datastore import DataStore
from sandbox.storage.encryption import read_properties
from sandbox.storage.sketches import HashSpill, HyperLogLog

EXACT_DISTINCT_ROWS = 2_000_000
"""Up to this many rows distinct counts are exact; beyond, HyperLogLog estimates."""


@dataclass
class _ColumnTally:
    nulls: int = 0
    type_errors: int = 0


@dataclass
class QualityAccumulator:
    """Collects per-batch counts during ingest; :meth:`finish` adds the distinct counts."""

    dictionary: DataDictionary
    rows: int = 0
    _tallies: dict[str, _ColumnTally] = field(default_factory=dict)
    _row_hashes: HashSpill = field(default_factory=HashSpill)
    _distinct: dict[str, HyperLogLog] = field(default_factory=dict)

    def add(self, batch: pa.RecordBatch) -> None:
        """Count nulls and out-of-domain values, and hash each row for duplicate detection."""
        self.rows += batch.num_rows
        for spec in self.dictionary.columns:
            column = batch.column(spec.name)
            tally = self._tallies.setdefault(spec.name, _ColumnTally())
            tally.nulls += column.null_count
            tally.type_errors += _out_of_domain(spec, column)
            valid = column.drop_null().to_numpy(zero_copy_only=False)
            sketch = self._distinct.setdefault(spec.name, HyperLogLog())
            sketch.add(pd.util.hash_array(valid))
        frame = batch.to_pandas()
        self._row_hashes.add(pd.util.hash_pandas_object(frame, index=False).to_numpy())

    def discard(self) -> None:
        """Drop the spilled row hashes of an ingest that failed."""
        self._row_hashes.discard()

    def finish(self, store: DataStore, path: str) -> dict[str, Any]:
        """The finished report. Distinct counts are exact (one column read at a time) up to
        :data:`EXACT_DISTINCT_ROWS` rows and HyperLogLog estimates beyond, so memory stays
        bounded whatever the version's size.
        """
        duplicate_rows = self._row_hashes.repeats()
        exact = self.rows <= EXACT_DISTINCT_ROWS
        columns: dict[str, dict[str, Any]] = {}
        issues: list[str] = []
        with store.filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle, decryption_properties=read_properties())
            for spec in self.dictionary.columns:
                tally = self._tallies.get(spec.name, _ColumnTally())
                non_null = self.rows - tally.nulls
                if exact:
                    values = parquet.read(columns=[spec.name]).column(0)
                    distinct = int(pc.count_distinct(values, mode="only_valid").as_py())
                else:
                    distinct = min(self._distinct[spec.name].estimate(), non_null)
                columns[spec.name] = {
                    "nulls": tally.nulls,
                    "null_fraction": round(tally.nulls / self.rows, 6) if self.rows else 0.0,
                    "distinct": distinct,
                    "duplicates": non_null - distinct,
                    "type_errors": tally.type_errors,
                    "distinct_exact": exact,
                }
                issues.extend(_column_issues(spec, columns[spec.name]))
        if duplicate_rows:
            issues.append(f"{duplicate_rows} row(s) repeat an earlier row exactly")
        return {
            "rows": self.rows,
            "duplicate_rows": duplicate_rows,
            "columns": columns,
            "issues": issues,
            "passed": not issues,
        }


def _out_of_domain(spec: ColumnSpec, column: pa.Array) -> int:
    """Values that parse as the declared type but break its declared categories or bounds."""
    bad = 0
    if spec.categories is not None:
        allowed = pa.array(spec.categories, type=pa.string())
        inside = pc.is_in(column, value_set=allowed)
        bad += int(pc.sum(pc.invert(inside.fill_null(True))).as_py() or 0)
    if spec.lower is not None or spec.upper is not None:
        numbers = column.cast(pa.float64())
        if spec.lower is not None:
            below = pc.less(numbers, pa.scalar(spec.lower, type=pa.float64()))
            bad += int(pc.sum(below.fill_null(False)).as_py() or 0)
        if spec.upper is not None:
            above = pc.greater(numbers, pa.scalar(spec.upper, type=pa.float64()))
            bad += int(pc.sum(above.fill_null(False)).as_py() or 0)
    return bad


def _column_issues(spec: ColumnSpec, stats: dict[str, Any]) -> list[str]:
    issues = []
    if stats["nulls"] and not spec.nullable:
        issues.append(
            f"column {spec.name!r} is declared not nullable but has {stats['nulls']} null value(s)"
        )
    if stats["type_errors"]:
        issues.append(
            f"column {spec.name!r} has {stats['type_errors']} value(s) outside its "
            "declared categories or bounds"
        )
    return issues
