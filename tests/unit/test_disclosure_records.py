"""Row-level output without identifiers: records are blocked, summaries go to a human.

A raw-access job's result can be shown to be aggregate only through the platform's
verified outputs. A part it computed itself that holds a collection of many entries (rows
as dicts or lists, a column of values, a dict of columns or of records) is row-level
output whether or not an identifier is in it; and a verified table whose cells mostly rest
on one or two units lists individuals, not groups, even when the platform redacts them.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest

from sandbox.disclosure import crosstab, input_values
from sandbox.disclosure.rules.thresholds import MANY_RECORDS, RECORD_SUPPORT
from tests.unit.test_disclosure import check, failed, lines, rules

PEOPLE = pa.table(
    {
        "pid": [f"ZZSECRET-{i:04d}" for i in range(50)],
        "district": [["North", "South", "East"][i % 3] for i in range(50)],
        "age": [20 + (i * 7) % 50 for i in range(50)],
        "income": [1000.0 * (i % 5) for i in range(50)],
    }
)
VALUES = input_values(PEOPLE, ["pid"], ["income"])
ROWS = [{k: v for k, v in row.items() if k != "pid"} for row in PEOPLE.to_pylist()]
"""Fifty rows of microdata without their identifier column."""


def test_fifty_rows_of_microdata_without_identifiers_are_blocked() -> None:
    _, report = check({"people": ROWS}, values=VALUES)
    [line] = failed(report, "row_level")
    assert line.where == "people" and line.statistic == 50 and line.blocking
    assert report.blocked
    text = json.dumps(report.to_dict())
    assert "ZZSECRET" not in text and "North" not in text


@pytest.mark.parametrize(
    "shape",
    [
        "rows as lists",
        "a column",
        "columns",
        "records by index",
        "bare list",
        "entries of the result",
    ],
)
def test_every_shape_of_a_table_of_records_is_blocked(shape: str) -> None:
    shapes: dict[str, Any] = {
        "rows as lists": {"rows": [list(row.values()) for row in ROWS]},
        "a column": {"ages": PEOPLE.column("age").to_pylist()},
        "columns": {
            "table": {name: PEOPLE.column(name).to_pylist() for name in ("district", "age")}
        },
        "records by index": {"table": {str(i): row for i, row in enumerate(ROWS)}},
        "bare list": [row["age"] for row in ROWS],
        "entries of the result": {f"r{i}": row["age"] for i, row in enumerate(ROWS)},
    }
    _, report = check(shapes[shape], values=VALUES)
    assert failed(report, "row_level") and report.blocked, shape
    assert all(line.statistic == 50 for line in failed(report, "row_level")), shape


def test_records_beside_a_verified_output_are_blocked() -> None:
    table = crosstab(PEOPLE, rows=["district"])
    result = {"t": table.to_output("t1"), **{f"age_{i}": row["age"] for i, row in enumerate(ROWS)}}
    _, report = check(result, {"t1": table}, values=VALUES)
    [line] = failed(report, "row_level")
    assert line.where == "result" and line.statistic == 50 and report.blocked
    assert lines(report, "min_count")  # the verified table is still checked


def test_small_summaries_stay_a_reviewers_call() -> None:
    few = ROWS[: MANY_RECORDS - 1]
    for result in (
        {"n": 50, "mean_age": 41.5},
        [1, 2, 3, 4],
        {"few": few},
        {"by_district": {"North": 17, "South": 17, "East": 16}},
    ):
        _, report = check(result, values=VALUES)
        assert not failed(report, "row_level"), result
        assert lines(report, "unverifiable") and not report.blocked, result


def test_dp_results_and_a_policy_without_the_rule_are_not_records() -> None:
    groups = [{"group": i, "mean": 4.2} for i in range(50)]
    _, report = check({"by_group": groups}, kind="dp")
    assert not lines(report, "row_level") and not report.blocked
    _, report = check({"people": ROWS}, values=VALUES, row_rules=rules(no_row_level_output=False))
    assert not lines(report, "row_level") and not report.blocked
    assert failed(report, "unverifiable")


# --- Verified tables listing individuals --------------------------------------------------------


def test_a_redacted_table_of_single_people_is_blocked() -> None:
    """Keyed by age, each of the 50 cells rests on one person: redaction hides the counts,
    but the keys are the people's ages."""
    table = crosstab(PEOPLE, rows=["age"])
    _, report = check(
        {"t": table.to_output("t1")},
        {"t1": table},
        values=VALUES,
        row_rules=rules(redact_at_or_below=RECORD_SUPPORT),
    )
    [line] = failed(report, "row_level")
    assert line.where == "t" and line.statistic == 50 and line.blocking
    assert not failed(report, "min_count") and report.blocked


def test_cells_of_one_or_two_units_count_units_not_rows() -> None:
    data = pa.table(
        {
            "k": [f"k{i}" for i in range(12) for _ in range(10)],
            "unit": [f"u{i % 2}" for i in range(12) for _ in range(10)],
        }
    )
    table = crosstab(data, rows=["k"], unit="unit")  # ten rows per cell, one unit each
    _, report = check(
        {"t": table.to_output("t1")}, {"t1": table}, row_rules=rules(redact_at_or_below=2)
    )
    [line] = failed(report, "row_level")
    assert line.statistic == 12


def test_a_table_with_few_or_a_minority_of_tiny_cells_is_not_row_level() -> None:
    few = crosstab(PEOPLE.slice(0, MANY_RECORDS - 1), rows=["age"])  # 9 single-person cells
    _, report = check(
        {"t": few.to_output("t1")}, {"t1": few}, row_rules=rules(redact_at_or_below=2)
    )
    assert not failed(report, "row_level") and not report.blocked
    data = pa.table(
        {"k": [f"small{i}" for i in range(10)] + [f"big{i}" for i in range(11) for _ in range(10)]}
    )
    mostly_big = crosstab(data, rows=["k"])  # 10 cells of one row, 11 of ten
    _, report = check(
        {"t": mostly_big.to_output("t1")}, {"t1": mostly_big}, row_rules=rules(redact_at_or_below=2)
    )
    assert not failed(report, "row_level") and not report.blocked
