"""The ``zeros`` rule: the combinations of key values a verified table does not list.

A table lists only the combinations present in the rows; a reader infers a zero for every
other combination of the key values it shows (structural or sampling zeros). ACRO checks
zeros by default; here each zero cell is flagged for the reviewer (failed, not blocking),
named by its key labels and never by a data value.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from sandbox.disclosure import checks, crosstab, input_values
from sandbox.disclosure.labels import WITHHELD
from tests.unit.test_disclosure import check, failed, lines, rules


def grid(counts: dict[tuple[str, str], int]) -> pa.Table:
    """Rows keyed by (district, smoker), ``counts`` of each, with a value ``x``."""
    district = [d for (d, _), n in counts.items() for _ in range(n)]
    smoker = [s for (_, s), n in counts.items() for _ in range(n)]
    return pa.table({"district": district, "smoker": smoker, "x": [2.0] * len(district)})


FULL = {("North", "yes"): 10, ("North", "no"): 12, ("South", "yes"): 11, ("South", "no"): 10}


def test_a_missing_combination_is_flagged_for_review_by_its_key_labels() -> None:
    counts = {key: n for key, n in FULL.items() if key != ("North", "yes")}
    table = crosstab(grid(counts), rows=["district"], cols=["smoker"])
    released, report = check({"t": table.to_output("t1")}, {"t1": table})
    [zero] = failed(report, "zeros")
    assert zero.where == "t[district=North, smoker=yes]"
    assert zero.statistic == 0 and not zero.blocking
    assert "reviewer" in zero.note
    assert not report.blocked and not report.auto_releasable
    assert released == {"t": table.to_output("t1")}  # the released table is unchanged


def test_a_full_table_passes_and_a_one_key_table_has_no_zeros_line() -> None:
    table = crosstab(grid(FULL), rows=["district"], cols=["smoker"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    [line] = lines(report, "zeros")
    assert line.passed and line.statistic == 0 and line.where == "t"
    assert report.auto_releasable
    one_key = crosstab(grid(FULL), rows=["district"])
    _, report = check({"t": one_key.to_output("t1")}, {"t1": one_key})
    assert not lines(report, "zeros")


def test_zeros_count_every_key_of_the_rows_too() -> None:
    """A table released in long form shows no difference between rows and cols keys."""
    counts = {key: n for key, n in FULL.items() if key != ("South", "no")}
    table = crosstab(grid(counts), rows=["district", "smoker"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    assert [line.where for line in failed(report, "zeros")] == ["t[district=South, smoker=no]"]


def test_zeros_of_sums_and_means_are_flagged_too() -> None:
    counts = {key: n for key, n in FULL.items() if key != ("North", "no")}
    for agg in ("sum", "mean"):
        table = crosstab(grid(counts), rows=["district"], cols=["smoker"], value="x", agg=agg)
        _, report = check({"t": table.to_output("t1")}, {"t1": table})
        assert [line.where for line in failed(report, "zeros")] == [
            "t[district=North, smoker=no]"
        ], agg


def test_zero_lines_are_capped_and_the_rest_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "MAX_CELL_LINES", 2)
    diagonal = {(f"d{i}", f"s{i}"): 10 for i in range(4)}  # 16 combinations, 4 present
    table = crosstab(grid(diagonal), rows=["district"], cols=["smoker"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    zeros = failed(report, "zeros")
    assert [line.where for line in zeros] == [
        "t[district=d0, smoker=s1]",
        "t[district=d0, smoker=s2]",
        "t",
    ]
    assert zeros[-1].statistic == 10 and "10 more zero cells" in zeros[-1].note
    assert not any(line.blocking for line in zeros)


def test_a_zero_cell_label_that_matches_the_input_is_withheld() -> None:
    data = pa.table(
        {
            "diagnosis": ["rare-condition-q"] * 10 + ["flu"] * 20,
            "district": ["North"] * 10 + ["North"] * 10 + ["South"] * 10,
        }
    )
    values = input_values(
        pa.table({"diagnosis": ["rare-condition-q"] + ["flu"] * 30}), [], ["diagnosis"]
    )
    table = crosstab(data, rows=["diagnosis"], cols=["district"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, values=values)
    [zero] = failed(report, "zeros")
    assert zero.where == f"t[diagnosis={WITHHELD}, district=South]"
    assert "rare-condition-q" not in json.dumps(report.to_dict())


def test_a_redacted_cell_is_not_a_zero_and_dp_results_are_not_checked() -> None:
    counts = {**FULL, ("North", "yes"): 2}
    table = crosstab(grid(counts), rows=["district"], cols=["smoker"])
    _, report = check(
        {"t": table.to_output("t1")}, {"t1": table}, row_rules=rules(redact_at_or_below=2)
    )
    assert not failed(report, "zeros") and lines(report, "redaction")
    missing = crosstab(
        grid({k: n for k, n in FULL.items() if k != ("North", "yes")}),
        rows=["district"],
        cols=["smoker"],
    )
    _, report = check({"t": missing.to_output("t1")}, {"t1": missing}, kind="dp")
    assert not lines(report, "zeros")
