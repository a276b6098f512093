"""Synthetic previews follow the dictionary and are reproducible; they read no data."""

import pyarrow as pa

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.preview import MAX_PREVIEW_ROWS, synthetic_preview

DICTIONARY = DataDictionary.from_list(
    [
        {"name": "pid", "type": "string", "classification": "identifier"},
        {
            "name": "district",
            "type": "string",
            "classification": "public",
            "categories": ["A", "B"],
        },
        {"name": "age", "type": "int64", "classification": "public", "lower": 18, "upper": 20},
        {
            "name": "score",
            "type": "float64",
            "classification": "sensitive",
            "lower": -1,
            "upper": 1,
        },
        {"name": "flag", "type": "bool", "classification": "public"},
        {"name": "born", "type": "date", "classification": "sensitive"},
        {"name": "seen", "type": "timestamp", "classification": "public"},
        {"name": "note", "type": "string", "classification": "sensitive"},
    ]
)


def test_preview_has_the_dictionary_schema_and_respects_declarations():
    table = synthetic_preview(DICTIONARY, rows=40, seed_text="ds")
    assert table.schema == DICTIONARY.arrow_schema()
    assert table.num_rows == 40
    rows = table.to_pylist()
    assert {r["district"] for r in rows} <= {"A", "B"}
    assert all(18 <= r["age"] <= 20 for r in rows)
    assert all(-1 <= r["score"] <= 1 for r in rows)
    assert all(r["pid"].startswith("SYN-") for r in rows)


def test_preview_is_reproducible_and_bounded():
    first = synthetic_preview(DICTIONARY, rows=5, seed_text="ds")
    assert first.equals(synthetic_preview(DICTIONARY, rows=5, seed_text="ds"))
    assert not first.equals(synthetic_preview(DICTIONARY, rows=5, seed_text="other"))
    assert synthetic_preview(DICTIONARY, rows=10_000, seed_text="x").num_rows == MAX_PREVIEW_ROWS
    assert isinstance(synthetic_preview(DICTIONARY, rows=0, seed_text="x"), pa.Table)
