"""Unconditional data by API over HTTP: columns, filters, sorting, a stable cursor, formats.

Wuxi art. 14 and Qingdao art. 13, 15 ask for data service interfaces that query open data;
an unknown query parameter is refused instead of silently answering unfiltered rows.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from sandbox.client import SandboxClient
from tests.support.datafiles import csv_bytes, metadata, parquet_bytes, people_table, register
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server

ROWS = "/v1/datasets/open_query_people/rows"
TABLE = people_table(90)


@pytest.fixture(scope="module")
def dataset(live_server: LiveServer, accounts: Accounts) -> str:
    with live_server.client(accounts["provider"].token) as provider:
        response = register(
            provider, parquet_bytes(TABLE), metadata("open_query_people", "unconditional")
        )
        assert response.status_code == 201, response.text
    return "open_query_people"


def expected(where, key=None, reverse=False) -> list[dict[str, Any]]:
    rows = [row for row in TABLE.to_pylist() if where(row)]
    return sorted(rows, key=key, reverse=reverse) if key else rows


def test_columns_filters_and_a_stable_sort(live_server, accounts, dataset) -> None:
    with live_server.client(accounts["user"].token) as user:
        response = user.get(
            ROWS,
            params={
                "columns": "pid,age",
                "filter": ["age:ge:65", "district:in:North,East"],
                "sort": "-age",
                "limit": 500,
            },
        )
    assert response.status_code == 200, response.text
    page = response.json()
    want = expected(
        lambda r: r["age"] >= 65 and r["district"] in ("North", "East"),
        key=lambda r: r["age"],
        reverse=True,
    )
    assert page["columns"] == ["pid", "age"]
    assert page["matched_rows"] == len(want) and page["total_rows"] == 90
    # Python's sort is stable too, and reverse=True keeps ties in order: the same rows.
    assert [(r["pid"], r["age"]) for r in page["rows"]] == [(r["pid"], r["age"]) for r in want]
    assert page["next_cursor"] is None


def test_between_null_tests_and_comparisons(live_server, accounts, dataset) -> None:
    with live_server.client(accounts["user"].token) as user:
        ranged = user.get(ROWS, params={"filter": "income:between:20000,40000.5", "limit": 100})
        none = user.get(ROWS, params={"filter": "income:null"}).json()
        some = user.get(ROWS, params={"filter": ["pid:notnull", "district:ne:South"]}).json()
    want = expected(lambda r: 20_000 <= r["income"] <= 40_000.5)
    assert [r["pid"] for r in ranged.json()["rows"]] == [r["pid"] for r in want]
    assert none["matched_rows"] == 0 and none["rows"] == []
    assert some["matched_rows"] == len(expected(lambda r: r["district"] != "South"))


def test_a_cursor_pages_through_one_version_of_one_query(live_server, accounts, dataset) -> None:
    params = {"filter": "district:eq:South", "sort": "age,pid", "limit": 7}
    want = expected(lambda r: r["district"] == "South", key=lambda r: (r["age"], r["pid"]))
    seen: list[str] = []
    with live_server.client(accounts["user"].token) as user:
        page = user.get(ROWS, params=params).json()
        seen += [r["pid"] for r in page["rows"]]
        cursor = page["next_cursor"]
        # A new version lands mid-paging: the cursor stays on version 1.
        with live_server.client(accounts["provider"].token) as provider:
            staged = provider.post("/v1/uploads", content=csv_bytes(people_table(5)))
            added = provider.post(
                "/v1/datasets/open_query_people/versions",
                json={"source": {"upload_id": staged.json()["upload_id"]}},
            )
            assert added.status_code == 201, added.text
        while cursor:
            page = user.get(ROWS, params={**params, "cursor": cursor}).json()
            assert page["version"] == 1
            seen += [r["pid"] for r in page["rows"]]
            cursor = page["next_cursor"]
        assert seen == [r["pid"] for r in want]
        other = user.get(ROWS, params={"sort": "age", "cursor": page["next_cursor"] or "x"})
        assert other.status_code == 422
        first = user.get(ROWS, params={**params, "version": 1}).json()["next_cursor"]
        assert first
        mismatch = user.get(ROWS, params={"sort": "-age", "limit": 7, "cursor": first})
        assert mismatch.status_code == 422
        assert "another query" in mismatch.text
        both = user.get(ROWS, params={**params, "cursor": first, "offset": 3})
        assert both.status_code == 422


def test_csv_and_arrow_answers(live_server, accounts, dataset) -> None:
    params = {"filter": "age:lt:30", "columns": "pid,age", "version": 1, "limit": 5}
    with live_server.client(accounts["user"].token) as user:
        as_csv = user.get(ROWS, params={**params, "format": "csv"})
        as_arrow = user.get(ROWS, params={**params, "format": "arrow"})
    want = expected(lambda r: r["age"] < 30)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    table = pacsv.read_csv(io.BytesIO(as_csv.content))
    assert table.column("pid").to_pylist() == [r["pid"] for r in want[:5]]
    assert as_arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    streamed = pa.ipc.open_stream(io.BytesIO(as_arrow.content)).read_all()
    assert streamed.column_names == ["pid", "age"]
    assert streamed.column("age").to_pylist() == [r["age"] for r in want[:5]]
    assert as_arrow.headers["x-matched-rows"] == str(len(want))
    assert as_arrow.headers.get("x-next-cursor")


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"district": "North"}, "district"),
        ({"filter": "age:ge:old"}, "age"),
        ({"filter": "height:gt:3"}, "height"),
        ({"filter": "age:like:3"}, "op one of"),
        ({"filter": "age:between:3"}, "two values"),
        ({"columns": "pid,nope"}, "nope"),
        ({"sort": "age,age"}, "twice"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_queries_are_a_clear_422(live_server, accounts, dataset, params, named) -> None:
    with live_server.client(accounts["user"].token) as user:
        response = user.get(ROWS, params=params)
    assert response.status_code == 422, response.text
    assert named in response.text


def test_queries_are_audited_with_their_terms(live_server, accounts, dataset) -> None:
    with live_server.client(accounts["user"].token) as user:
        assert user.get(ROWS, params={"filter": "age:eq:27", "sort": "pid"}).status_code == 200
    with live_server.client(accounts["auditor"].token) as auditor:
        entries = auditor.get("/v1/audit", params={"action": "dataset.query"}).json()["data"]
    details = [e["detail"] for e in entries if e["object_id"] == dataset]
    assert any(d.get("filters") == ["age:eq:27"] and d.get("sort") == ["pid"] for d in details)


def test_the_client_queries_and_iterates_by_cursor(live_server, accounts, dataset) -> None:
    want = expected(lambda r: r["district"] == "North", key=lambda r: -r["income"])
    with SandboxClient(live_server.url, accounts["user"].token) as client:
        first = client.rows(dataset, limit=4, version=1, filters=["district:eq:North"])
        assert first["matched_rows"] == len(want)
        rows = list(
            client.iter_rows(
                dataset,
                page_size=4,
                version=1,
                columns=["pid", "income"],
                filters=["district:eq:North"],
                sort=["-income"],
            )
        )
    assert rows == [{"pid": r["pid"], "income": r["income"]} for r in want]
