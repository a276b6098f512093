"""Bounded-memory counters behind large quality reports."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sandbox.catalog.dictionary import DataDictionary
from sandbox.storage import quality
from sandbox.storage.datastore import DataStore
from sandbox.storage.sketches import HashSpill, HyperLogLog


@pytest.mark.parametrize("distinct", [10, 1_000, 50_000, 400_000])
def test_hyperloglog_is_within_a_few_percent(distinct):
    sketch = HyperLogLog()
    values = np.arange(distinct).repeat(3)
    for chunk in np.array_split(values, 7):
        sketch.add(pd.util.hash_array(chunk))
    assert abs(sketch.estimate() - distinct) <= max(2, 0.04 * distinct)


def test_hash_spill_counts_repeats_exactly():
    spill = HashSpill()
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**63, size=100_000, dtype=np.uint64)
    spill.add(hashes)
    spill.add(hashes[:1234])
    assert spill.repeats() == 1234


def test_large_versions_use_estimates_in_the_report(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(quality, "EXACT_DISTINCT_ROWS", 10)
    dictionary = DataDictionary.from_list(
        [
            {"name": "id", "type": "int64", "classification": "identifier"},
            {"name": "k", "type": "string", "classification": "public"},
        ]
    )
    table = pa.table({"id": list(range(5000)) + [0], "k": ["a", "b"] * 2500 + ["a"]})
    path = tmp_path / "v.parquet"
    pq.write_table(table, path)
    store = DataStore.from_uri(str(tmp_path))
    accumulator = quality.QualityAccumulator(dictionary)
    for batch in table.to_batches(max_chunksize=700):
        accumulator.add(batch)
    report = accumulator.finish(store, str(path))
    assert report["duplicate_rows"] == 1
    assert report["columns"]["k"]["distinct"] == 2
    assert abs(report["columns"]["id"]["distinct"] - 5000) < 200
    assert report["columns"]["id"]["distinct_exact"] is False
