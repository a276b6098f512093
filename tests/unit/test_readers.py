"""Reader errors never echo a cell's value."""

import pyarrow as pa

from sandbox.storage.readers import _clean


def test_clean_withholds_values_and_names_columns():
    error = pa.ArrowInvalid(
        "In CSV column #1: CSV conversion error to int64: invalid value 'Li Lei'"
    )
    assert _clean(error, ["pid", "age"]) == (
        "in column 'age': CSV conversion error to int64: invalid value (value withheld)"
    )
    ragged = pa.ArrowInvalid("CSV parse error: Expected 4 columns, got 3: 110105199001011234,Li")
    assert "1101051990" not in _clean(ragged)
    assert _clean(ragged).endswith("Expected 4 columns, got 3")
