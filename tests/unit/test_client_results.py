"""Released results in the client: one JSON download, then Python, pandas and Arrow views of
the same tables the server's CSV and Parquet downloads hold (no server: an in-process transport).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa
import pytest

from sandbox.client import MissingExtraError, Result, SandboxAPIError, SandboxClient
from sandbox.client import SandboxClientError as ClientError

GROUPED = {
    "dataset": "census",
    "group": "region",
    "count": [{"region": "North", "count": 12.0}, {"region": "South", "count": 7.0}],
}


def _serve(value: Any, seen: list[httpx.Request] | None = None) -> SandboxClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.path == "/v1/results/404":
            return httpx.Response(404, json={"error": "not_found", "message": "no result"})
        return httpx.Response(
            200,
            content=json.dumps(value, indent=2).encode(),
            headers={"content-type": "application/json"},
        )

    return SandboxClient("http://sandbox.test", "sbx_t", transport=httpx.MockTransport(handler))


def test_a_result_is_one_json_download_with_its_text_and_value() -> None:
    seen: list[httpx.Request] = []
    with _serve(GROUPED, seen) as client:
        result = client.result({"id": 7, "state": "released"})
    assert [(r.url.path, dict(r.url.params)) for r in seen] == [
        ("/v1/results/7", {"format": "json"})
    ]
    assert result.job_id == 7 and result.value == GROUPED
    assert json.loads(result.json) == GROUPED
    assert result.tabular_parts() == ["count"]
    assert "count" in repr(result)


def test_the_only_tabular_part_becomes_a_dataframe_and_an_arrow_table() -> None:
    with _serve(GROUPED) as client:
        result = client.result(7)
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["region", "count"]
    assert frame.to_dict("records") == GROUPED["count"]
    table = result.to_arrow()
    assert isinstance(table, pa.Table) and table.column_names == ["region", "count"]
    assert table.to_pylist() == GROUPED["count"]
    assert result.to_pandas("count").equals(frame)
    assert result.figures() == []


def test_a_raw_table_and_a_whole_list_are_tables_and_mixed_columns_become_json_text() -> None:
    raw = Result(1, json.dumps({"columns": ["k", "v"], "rows": [["a", 1], ["b", [2, 3]]]}))
    assert raw.to_pandas().to_dict("list") == {"k": ["a", "b"], "v": [1, [2, 3]]}
    assert raw.to_arrow().column("v").to_pylist() == ["1", "[2, 3]"]
    rows = Result(2, json.dumps([{"a": 1}, {"a": 2, "b": "x"}]))
    frame = rows.to_pandas()
    assert frame["a"].tolist() == [1, 2] and frame["b"].isna().tolist() == [True, False]


def test_what_is_not_one_table_is_refused_with_the_parts_there_are() -> None:
    two = Result(3, json.dumps({"total": 5.0, "a": [{"x": 1}], "b": [{"y": 2}]}))
    with pytest.raises(ClientError, match=r"not one table.*tabular parts: a, b"):
        two.to_pandas()
    with pytest.raises(ClientError, match="not a table; its tabular parts: a, b"):
        two.to_arrow("total")
    with pytest.raises(ClientError, match="has no part 'c'"):
        two.table("c")
    assert two.to_pandas("b").to_dict("list") == {"y": [2]}
    scalar = Result(4, "12.5")
    assert scalar.value == 12.5 and scalar.tabular_parts() == []
    with pytest.raises(ClientError, match="it has no table"):
        scalar.to_pandas()


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    result = Result(5, json.dumps(GROUPED))
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'sandbox-client\[pandas\]'"):
        result.to_pandas()
    with pytest.raises(ImportError, match=r"sandbox-client\[pyarrow\]"):
        result.to_arrow()
    assert result.table() == (["region", "count"], [["North", 12.0], ["South", 7.0]])


def test_an_unreleased_result_is_the_servers_error() -> None:
    with _serve(GROUPED) as client, pytest.raises(SandboxAPIError) as caught:
        client.result(404)
    assert caught.value.status == 404 and caught.value.code == "not_found"
