"""Mock tables follow the dictionary, are the same run after run, and are kept where nothing
reading them can reach a real file.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.mock import MAX_MOCK_ROWS, mock_seed, mock_table
from sandbox.catalog.preview import synthetic_preview
from sandbox.jobs.mock_data import MockData, MockTable

DICTIONARY = DataDictionary.from_list(
    [
        {"name": "pid", "type": "string", "classification": "identifier"},
        {
            "name": "district",
            "type": "string",
            "classification": "quasi_identifier",
            "categories": ["North", "South"],
        },
        {
            "name": "age",
            "type": "int64",
            "classification": "quasi_identifier",
            "lower": 18,
            "upper": 30,
        },
        {
            "name": "income",
            "type": "float64",
            "classification": "sensitive",
            "lower": 0,
            "upper": 5,
        },
        {"name": "born", "type": "date", "classification": "sensitive"},
    ]
)


def test_a_mock_has_the_schema_the_declared_values_and_the_rows_asked() -> None:
    table = mock_table(DICTIONARY, "people", 1000)
    assert table.schema == DICTIONARY.arrow_schema() and table.num_rows == 1000
    rows = table.to_pylist()
    assert {r["district"] for r in rows} == {"North", "South"}
    assert all(18 <= r["age"] <= 30 and 0 <= r["income"] <= 5 for r in rows)
    assert all(r["pid"].startswith("SYN-") for r in rows)


def test_a_mock_is_seeded_by_the_dataset_and_is_not_its_preview() -> None:
    first = mock_table(DICTIONARY, "people", 200)
    assert first.equals(mock_table(DICTIONARY, "people", 200))
    assert not first.equals(mock_table(DICTIONARY, "other", 200))
    preview = synthetic_preview(DICTIONARY, rows=100, seed_text="people")
    assert not first.slice(0, 100).equals(preview)
    assert mock_seed("people") == "people/mock"


@pytest.mark.parametrize("rows", [0, MAX_MOCK_ROWS + 1])
def test_a_mock_has_a_bounded_size(rows: int) -> None:
    with pytest.raises(ValueError, match="between 1 and"):
        mock_table(DICTIONARY, "people", rows)


def test_the_mock_store_reaches_no_file_outside_its_directory(tmp_path: Path) -> None:
    real = tmp_path / "real.parquet"
    pq.write_table(pa.table({"secret": ["ZZSECRET"]}), real)
    (tmp_path / "store").mkdir()
    mock = MockData.of_tables(
        [
            MockTable(
                name="people",
                version=3,
                table=mock_table(DICTIONARY, "people", 10),
                dictionary=DICTIONARY,
                privacy_unit="pid",
                seed=mock_seed("people"),
            )
        ],
        tmp_path / "store",
    )
    version = mock.versions["people"]
    assert version.version == 3 and version.table.num_rows == 10
    with mock.store.filesystem.open_input_file(version.path) as handle:
        assert pq.read_table(handle).equals(version.table)
    with pytest.raises(FileNotFoundError):
        mock.store.filesystem.open_input_file(str(real))
    values = mock.input_values()  # what the row-level check compares a result with
    assert set(values.identifiers[0].to_pylist()) == set(version.table["pid"].to_pylist())
