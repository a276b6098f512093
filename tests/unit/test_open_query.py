"""Open-data queries read as written: typed values, JSON in-lists, cursors tied to queries."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from sandbox.datasets.open_query import OpenQuery, decode_cursor, encode_cursor, parse_query
from sandbox.errors import InvalidRequest

TABLE = pa.table(
    {
        "name": ["a,b", "c", None],
        "day": pa.array([date(2026, 1, 1), date(2026, 6, 1), date(2027, 1, 1)]),
        "ok": [True, False, True],
        "n": pa.array([1, 2, 3], pa.int16()),
    }
)


def matching(*filters: str) -> list[int]:
    query = parse_query(filters=list(filters))
    return TABLE.filter(query.expression(TABLE.schema)).column("n").to_pylist()


def test_values_are_read_as_their_column_type() -> None:
    assert matching("day:ge:2026-06-01") == [2, 3]
    assert matching("ok:eq:TRUE") == [1, 3]
    assert matching("n:between:2,3", "ok:eq:true") == [3]
    assert matching('name:in:["a,b","z"]') == [1]
    assert matching("name:null") == [3]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("day:ge:June", "'day'"),
        ("ok:eq:yes", "'ok'"),
        ("n:gt:1.5", "'n'"),
        ("name:in:[1,2]", "JSON list"),
        ("name:null:x", "no value"),
        ("name", "column:op:value"),
    ],
)
def test_a_bad_filter_names_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(InvalidRequest, match=named):
        matching(text)


def test_a_cursor_is_tied_to_its_query() -> None:
    query = parse_query("n,name", ["n:ge:1"], "-n")
    token = encode_cursor(3, 40, query)
    assert decode_cursor(token, parse_query("n,name", ["n:ge:1"], "-n")) == (3, 40)
    with pytest.raises(InvalidRequest, match="another query"):
        decode_cursor(token, OpenQuery())
    with pytest.raises(InvalidRequest, match="not one this endpoint issued"):
        decode_cursor(token[:-3], query)
