"""The automated disclosure checks: every rule passing and failing, and what the report holds."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pytest

from sandbox.disclosure import (
    CheckLine,
    CheckReport,
    InputValues,
    ReleasedOutputFacts,
    VerifiedOutput,
    check_result,
    checks,
    crosstab,
    facts_from_dict,
    facts_of,
    facts_to_dict,
    input_values,
    regression,
)
from sandbox.disclosure.checks import canonical_json
from sandbox.disclosure.labels import WITHHELD
from sandbox.policies.layering import PLATFORM_DEFAULTS
from sandbox.policies.model import RowCountRules

DEFAULTS = PLATFORM_DEFAULTS.row_count


def rules(**changes: Any) -> RowCountRules:
    values = {name: getattr(DEFAULTS, name) for name in RowCountRules.__dataclass_fields__}
    values.update(changes)
    return RowCountRules(**values)


def check(
    result: Any,
    verified: dict[str, VerifiedOutput] | None = None,
    *,
    row_rules: RowCountRules | None = None,
    max_bytes: int = 1_000_000,
    values: InputValues | None = None,
    earlier: list[ReleasedOutputFacts] | None = None,
    kind: str = "raw",
    dp_releases: list[dict[str, Any]] | None = None,
) -> tuple[Any, CheckReport]:
    return check_result(
        result,
        verified=verified or {},
        rules=row_rules or DEFAULTS,
        max_bytes=max_bytes,
        input_values=values or InputValues(),
        earlier=earlier or [],
        kind=kind,
        dp_releases=dp_releases or [],
    )


def lines(report: CheckReport, rule: str) -> list[CheckLine]:
    return [line for line in report.lines if line.rule == rule]


def failed(report: CheckReport, rule: str) -> list[CheckLine]:
    return [line for line in lines(report, rule) if not line.passed]


def districts(counts: dict[str, int]) -> pa.Table:
    keys = [k for k, n in counts.items() for _ in range(n)]
    return pa.table({"district": keys, "x": [1.0] * len(keys)})


def one_cell(contributions: list[float]) -> pa.Table:
    """One cell whose units contribute ``contributions`` (ten rows each, so counts pass)."""
    units = [f"u{i}" for i, _ in enumerate(contributions) for _ in range(10)]
    values = [c / 10 for c in contributions for _ in range(10)]
    return pa.table({"k": ["all"] * len(units), "unit": units, "v": values})


# --- Minimum count, redaction, rounding ---------------------------------------------------------


def test_min_count_edge() -> None:
    table = crosstab(districts({"North": 10, "South": 9}), rows=["district"])
    released, report = check({"by_district": table.to_output("t1")}, {"t1": table})
    assert report.blocked and not report.auto_releasable
    [fail] = failed(report, "min_count")
    assert fail.where == "by_district[district=South]"
    assert fail.statistic == 9 and fail.blocking
    [summary] = [line for line in lines(report, "min_count") if line.passed]
    assert summary.where == "by_district" and summary.statistic == 10
    assert released == {"by_district": table.to_output("t1")}


def test_a_verified_table_that_passes_is_auto_releasable() -> None:
    table = crosstab(districts({"North": 10, "South": 12}), rows=["district"])
    released, report = check({"t": table.to_output("t1")}, {"t1": table})
    assert not report.blocked and report.auto_releasable
    assert released == {"t": table.to_output("t1")}
    assert {line.rule for line in report.lines} == {"min_count", "max_cells", "max_bytes"}


def test_min_count_counts_privacy_units_when_fewer_than_rows() -> None:
    data = pa.table({"k": ["a"] * 12, "unit": ["p1", "p2", "p3"] * 4})
    table = crosstab(data, rows=["k"], unit="unit")
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    [fail] = failed(report, "min_count")
    assert fail.statistic == 3 and "units" in fail.note


def test_redaction_replaces_small_cells_and_is_recorded() -> None:
    data = districts({"North": 30, "South": 7, "East": 2, "West": 8})
    table = crosstab(data, rows=["district"], value="x", agg="sum")
    released, report = check(
        {"t": table.to_output("t1")},
        {"t1": table},
        row_rules=rules(redact_at_or_below=7, dominance_k=100, dominance_p=0),
    )
    redactions = lines(report, "redaction")
    assert sorted(line.where for line in redactions) == ["t[district=East]", "t[district=South]"]
    assert all(line.passed and not line.blocking and line.statistic == 7 for line in redactions)
    rows = {row[0]: row[1:] for row in released["t"]["rows"]}
    assert rows["South"] == [None, None] and rows["East"] == [None, None]
    assert rows["North"] == [30, 30.0]
    assert released["t"]["redacted_at_or_below"] == 7
    # West (8) is above the redaction but below min_count: blocked.
    assert [line.where for line in failed(report, "min_count")] == ["t[district=West]"]
    assert report.blocked


def test_redaction_alone_does_not_block() -> None:
    table = crosstab(districts({"North": 30, "South": 3}), rows=["district"])
    _, report = check(
        {"t": table.to_output("t1")}, {"t1": table}, row_rules=rules(redact_at_or_below=5)
    )
    assert not report.blocked and report.auto_releasable


def test_cell_lines_are_capped_per_rule_and_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "MAX_CELL_LINES", 2)
    data = districts({f"d{i}": 3 for i in range(5)} | {"big": 20})
    table = crosstab(data, rows=["district"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    fails = failed(report, "min_count")
    assert [line.where for line in fails] == ["t[district=d0]", "t[district=d1]", "t"]
    assert fails[-1].statistic == 3 and fails[-1].blocking and "3 more cells" in fails[-1].note


def test_rounding_is_applied_and_recorded_once_per_output() -> None:
    table = crosstab(districts({"North": 12, "South": 18, "East": 27}), rows=["district"])
    released, report = check(
        {"a": table.to_output("t1"), "b": table.to_output("t1")},
        {"t1": table},
        row_rules=rules(rounding=5),
    )
    assert [row[1] for row in released["a"]["rows"]] == [25, 10, 20]  # East, North, South
    assert released["a"]["rounded_to"] == 5
    roundings = lines(report, "rounding")
    assert [line.where for line in roundings] == ["a", "b"]
    assert all(line.statistic == 5 and line.passed for line in roundings)
    assert not report.blocked


# --- Dominance ----------------------------------------------------------------------------------


def _dominance(contributions: list[float], **changes: Any) -> CheckReport:
    table = crosstab(one_cell(contributions), rows=["k"], value="v", agg="sum", unit="unit")
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, row_rules=rules(**changes))
    return report


def test_nk_rule_edges() -> None:
    at_limit = _dominance([45, 45, 10])  # top two hold exactly 90%
    assert not failed(at_limit, "dominance_nk")
    [passed] = lines(at_limit, "dominance_nk")
    assert passed.passed and passed.statistic == 90.0
    over = _dominance([50, 41, 9])  # 91%
    [fail] = failed(over, "dominance_nk")
    assert fail.statistic == 91.0 and fail.blocking and fail.where == "t[k=all]"
    assert over.blocked


def test_nk_rule_with_larger_n_and_negative_values() -> None:
    assert failed(_dominance([31, 30, 30, 9], dominance_n=3), "dominance_nk")
    assert not failed(_dominance([30, 30, 30, 10], dominance_n=3), "dominance_nk")
    assert not failed(_dominance([31, 30, 30, 9], dominance_n=2), "dominance_nk")
    # Contributions count by their absolute size.
    assert failed(_dominance([-90, 5, 5]), "dominance_nk")


def test_p_percent_rule_edges() -> None:
    at_limit = _dominance([100, 50, 10], dominance_k=99)  # remainder exactly 10% of top1
    assert not failed(at_limit, "dominance_p")
    [passed] = lines(at_limit, "dominance_p")
    assert passed.statistic == 10.0
    under = _dominance([100, 50, 9], dominance_k=99)
    [fail] = failed(under, "dominance_p")
    assert fail.statistic == 9.0 and fail.blocking
    assert not failed(_dominance([100, 50, 9], dominance_k=99, dominance_p=5), "dominance_p")
    assert not failed(_dominance([100, 50], dominance_k=100, dominance_p=0), "dominance_p")


def test_dominance_applies_to_sums_and_means_not_counts() -> None:
    data = one_cell([1000, 1, 1])
    for agg in ("sum", "mean"):
        table = crosstab(data, rows=["k"], value="v", agg=agg, unit="unit")
        _, report = check({"t": table.to_output("t1")}, {"t1": table})
        assert failed(report, "dominance_nk") and failed(report, "dominance_p")
    counted = crosstab(data, rows=["k"], unit="unit")
    _, report = check({"t": counted.to_output("t1")}, {"t1": counted})
    assert not lines(report, "dominance_nk") and not lines(report, "dominance_p")


def test_dominance_per_row_without_a_unit() -> None:
    data = pa.table({"k": ["a"] * 12, "v": [1000.0] + [1.0] * 11})
    table = crosstab(data, rows=["k"], value="v", agg="sum")
    _, report = check({"t": table.to_output("t1")}, {"t1": table})
    assert failed(report, "dominance_nk")


# --- Regressions --------------------------------------------------------------------------------


def _fit(n: int) -> Any:
    data = pa.table({"y": [float(i % 7) + i for i in range(n)], "x": [float(i) for i in range(n)]})
    return regression(data, y="y", x=["x"])


def test_regression_dof() -> None:
    ok = _fit(12)  # dof 10
    _, report = check({"fit": ok.to_output("r1")}, {"r1": ok})
    [line] = lines(report, "min_dof")
    assert line.passed and line.statistic == 10 and line.where == "fit"
    assert report.auto_releasable
    small = _fit(11)  # dof 9
    _, report = check({"fit": small.to_output("r1")}, {"r1": small})
    [line] = failed(report, "min_dof")
    assert line.statistic == 9 and report.blocked
    _, report = check({"fit": small.to_output("r1")}, {"r1": small}, row_rules=rules(min_dof=5))
    assert not report.blocked


# --- Unverifiable values and altered outputs ----------------------------------------------------


def test_values_the_platform_did_not_compute_are_unverifiable() -> None:
    table = crosstab(districts({"North": 20}), rows=["district"])
    result = {
        "t": table.to_output("t1"),
        "mean": 41.5,
        "notes": ["a", "b", 3],
        "nested": {"inner": {"x": 1}, "also": table.to_output("t1")},
    }
    released, report = check(result, {"t1": table})
    unverifiable = lines(report, "unverifiable")
    assert sorted(line.where for line in unverifiable) == ["mean", "nested.inner", "notes"]
    assert all(not line.passed and not line.blocking for line in unverifiable)
    assert {line.where: line.statistic for line in unverifiable}["notes"] == 3
    assert not report.blocked and not report.auto_releasable
    assert released == result


def test_a_bare_value_is_one_unverifiable_line() -> None:
    _, report = check([1, 2, 3, 4])
    [line] = lines(report, "unverifiable")
    assert line.where == "result" and line.statistic == 4
    _, empty = check({})
    assert not lines(empty, "unverifiable") and empty.auto_releasable


def test_altered_and_unknown_outputs_are_unverifiable() -> None:
    table = crosstab(districts({"North": 20, "South": 3}), rows=["district"])
    altered = copy.deepcopy(table.to_output("t1"))
    altered["rows"][1][1] = 30  # the model inflated a small count
    released, report = check({"t": altered}, {"t1": table})
    [line] = lines(report, "unverifiable")
    assert line.where == "t" and "altered" in line.note
    assert not lines(report, "min_count")  # nothing verifiable left to check
    assert released == {"t": altered}
    forged = {**table.to_output("t1"), "sdc_output": "t9"}
    _, report = check({"t": forged}, {"t1": table})
    [line] = lines(report, "unverifiable")
    assert "not one this job" in line.note


def test_json_round_trip_keeps_an_output_verified() -> None:
    table = crosstab(districts({"North": 20}), rows=["district"], value="x", agg="mean")
    result = json.loads(json.dumps({"t": table.to_output("t1")}))
    _, report = check(result, {"t1": table})
    assert not lines(report, "unverifiable")


# --- Row-level output ---------------------------------------------------------------------------


PEOPLE = pa.table(
    {
        "person_id": ["ZZSECRET-0001", "ZZSECRET-0002", "ZZSECRET-0003"]
        + [f"P{i}" for i in range(20)],
        "diagnosis": ["rare-condition-q"] + ["flu"] * 22,
        "income": [987654.321] + [1000.5 + i for i in range(22)],
        "district": ["North"] * 23,
    }
)
VALUES = input_values(PEOPLE, ["person_id"], ["diagnosis", "income"])


def test_identifier_in_a_nested_list_is_blocked_without_quoting_it() -> None:
    table = crosstab(districts({"North": 20}), rows=["district"])
    result = {"t": table.to_output("t1"), "summary": {"top": [["x", ["ZZSECRET-0002"]]]}}
    _, report = check(result, {"t1": table}, values=VALUES)
    [line] = failed(report, "row_level")
    assert line.where == "summary" and line.statistic == 1 and line.blocking
    assert report.blocked
    assert "ZZSECRET" not in json.dumps(report.to_dict())


def test_identifier_as_a_key_is_blocked_and_withheld_from_paths() -> None:
    table = crosstab(districts({"North": 20}), rows=["district"])
    result = {"ZZSECRET-0001": {"t": table.to_output("t1")}, "P3": 1}
    _, report = check(result, {"t1": table}, values=VALUES)
    assert report.blocked
    wheres = {line.where for line in report.lines}
    assert f"{WITHHELD}.t" in wheres and WITHHELD in wheres
    assert "ZZSECRET" not in json.dumps(report.to_dict())


def test_rare_sensitive_values_block_but_common_categories_do_not() -> None:
    _, rare = check({"d": "rare-condition-q"}, values=VALUES)
    assert failed(rare, "row_level")
    _, common = check({"d": "flu"}, values=VALUES)
    assert not failed(common, "row_level")
    _, number = check({"m": [1.0, 987654.321]}, values=VALUES)
    assert failed(number, "row_level")
    _, integer = check({"n": 3}, values=VALUES)
    assert not failed(integer, "row_level")


def test_a_dump_of_rows_is_blocked() -> None:
    rows = [
        {"person_id": f"X{i}", "diagnosis": "flu", "income": 1.0, "district": "N"} for i in range(3)
    ]
    _, report = check({"rows": rows}, values=VALUES)
    [line] = failed(report, "row_level")
    assert line.statistic == 3 and "every column" in line.note
    columnar = {"person_id": ["X"], "diagnosis": ["flu"], "income": [1.0], "district": ["N"]}
    _, report = check({"cols": columnar}, values=VALUES)
    assert failed(report, "row_level")
    partial = [{"district": "N", "income": 1.0}]
    _, report = check({"rows": partial}, values=VALUES)
    assert not failed(report, "row_level")


def test_a_table_keyed_by_identifiers_is_blocked_even_when_redacted() -> None:
    table = crosstab(PEOPLE, rows=["person_id"])
    released, report = check(
        {"t": table.to_output("t1")},
        {"t1": table},
        values=VALUES,
        row_rules=rules(redact_at_or_below=5),
    )
    [line] = failed(report, "row_level")
    assert line.statistic == 23 and report.blocked
    assert all(WITHHELD in line.where for line in lines(report, "redaction"))
    assert "ZZSECRET" not in json.dumps(report.to_dict())


def test_a_table_keyed_by_a_sensitive_category_is_not_row_level() -> None:
    data = pa.table({"diagnosis": ["rare-condition-q"] * 12})
    table = crosstab(data, rows=["diagnosis"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, values=VALUES)
    assert not failed(report, "row_level")


def test_row_level_rule_can_be_off() -> None:
    _, report = check(
        {"id": "ZZSECRET-0001"}, values=VALUES, row_rules=rules(no_row_level_output=False)
    )
    assert not lines(report, "row_level") and not report.blocked


def test_input_values_union_and_none() -> None:
    assert input_values(None, (), ()) == InputValues()
    other = input_values(pa.table({"code": [5, 6]}), ["code", "missing"], ["missing"])
    merged = VALUES.union(other)
    _, report = check({"x": "6"}, values=merged)
    assert failed(report, "row_level")
    assert len(merged.columns) == 2


# --- Differencing -------------------------------------------------------------------------------


def _ages(n_young: int) -> pa.Table:
    return pa.table(
        {
            "district": ["North"] * 40 + ["South"] * 40,
            "age": [20] * n_young + [50] * (40 - n_young) + [50] * 40,
        }
    )


def _earlier(table: pa.Table, where: list[Any] | None = None) -> ReleasedOutputFacts:
    output = crosstab(table, rows=["district"], where=where)
    return facts_from_dict(json.loads(json.dumps(facts_to_dict(facts_of(output)))))


@pytest.mark.parametrize(("removed", "flagged"), [(3, True), (0, False), (10, False)])
def test_population_difference_flagged_below_min_count(removed: int, flagged: bool) -> None:
    data = _ages(removed)
    earlier = _earlier(data)
    table = crosstab(data, rows=["district"], where=[("age", ">", 30)])
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, earlier=[earlier])
    found = lines(report, "differencing")
    if flagged:
        population = [line for line in found if line.where == "t"]
        assert [line.statistic for line in population] == [3]
        assert [line.where for line in found if line.where != "t"] == ["t[district=North]"]
        assert all(not line.passed and not line.blocking for line in found)
        assert not report.blocked and not report.auto_releasable
    else:
        assert not found


def test_differencing_only_compares_the_same_table() -> None:
    data = _ages(3)
    other_spec = facts_of(crosstab(data, rows=["age"]))
    table = crosstab(data, rows=["district"], where=[("age", ">", 30)])
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, earlier=[other_spec])
    assert not lines(report, "differencing")
    same = facts_of(crosstab(data, rows=["district"]))
    elsewhere = replace(same, dataset="other")
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, earlier=[elsewhere])
    assert lines(report, "differencing")  # the new output's dataset is unknown: compared


def test_two_tables_of_one_result_are_compared() -> None:
    data = _ages(2)
    everyone = crosstab(data, rows=["district"])
    older = crosstab(data, rows=["district"], where=[("age", ">", 30)])
    _, report = check(
        {"a": everyone.to_output("t1"), "b": older.to_output("t2")}, {"t1": everyone, "t2": older}
    )
    assert [line.statistic for line in lines(report, "differencing") if line.where == "b"] == [2]


def test_facts_round_trip() -> None:
    table = crosstab(_ages(3), rows=["district"], where=[("age", "in", [20, 50])])
    facts = facts_of(table, dataset="census")
    again = facts_from_dict(json.loads(json.dumps(facts_to_dict(facts))))
    assert again == ReleasedOutputFacts(
        kind="crosstab", spec=facts.spec, population=80, cells=dict(facts.cells), dataset="census"
    )
    assert again.spec["where"] == [["age", "in", [20, 50]]]
    fit = facts_of(_fit(12))
    assert fit.kind == "regression" and fit.population == 12 and not fit.cells
    with pytest.raises(ValueError, match="malformed"):
        facts_from_dict({"kind": "crosstab"})


# --- Size ---------------------------------------------------------------------------------------


def test_max_bytes() -> None:
    result = {"t": "x" * 100}
    size = len(canonical_json(result))
    _, report = check(result, max_bytes=size)
    [line] = lines(report, "max_bytes")
    assert line.passed and line.statistic == size
    _, report = check(result, max_bytes=size - 1)
    assert failed(report, "max_bytes") and report.blocked


def test_max_bytes_measures_the_released_form() -> None:
    table = crosstab(districts({"North": 12345, "South": 10}), rows=["district"])
    released, report = check(
        {"t": table.to_output("t1")}, {"t1": table}, row_rules=rules(rounding=1000)
    )
    [line] = lines(report, "max_bytes")
    assert line.statistic == len(canonical_json(released))


def test_max_cells() -> None:
    table = crosstab(districts({"North": 10, "South": 10}), rows=["district"], value="x", agg="sum")
    _, report = check(
        {"t": table.to_output("t1"), "n": [1, 2]},
        {"t1": table},
        row_rules=rules(max_output_cells=6, dominance_k=100, dominance_p=0),
    )
    [line] = lines(report, "max_cells")
    assert line.statistic == 6 and line.passed
    _, report = check(
        {"t": table.to_output("t1"), "n": [1, 2, 3]},
        {"t1": table},
        row_rules=rules(max_output_cells=6, dominance_k=100, dominance_p=0),
    )
    assert failed(report, "max_cells") and report.blocked


# --- DP results ---------------------------------------------------------------------------------


RELEASES = [
    {
        "dataset": "census",
        "operation": "count",
        "charged": "epsilon 0.1",
        "mechanisms": [{"part": "count", "mechanism": "laplace"}],
        "suppressed": 0,
    },
    {
        "dataset": "census",
        "operation": "mean",
        "charged": "epsilon 0.5, delta 1e-06",
        "mechanisms": [
            {"part": "sum", "mechanism": "laplace"},
            {"part": "select", "mechanism": "partition selection"},
        ],
        "suppressed": 3,
    },
]


def test_a_dp_result_carries_its_release_report() -> None:
    result = {"total": 1234.5, "by_region": [{"region": "N", "mean": 4.2}]}
    released, report = check(result, kind="dp", dp_releases=RELEASES)
    assert released == result
    assert not lines(report, "unverifiable")
    dp = lines(report, "dp")
    assert [line.where for line in dp] == ["release 1", "release 2"]
    assert all(line.passed for line in dp)
    assert dp[1].statistic == "epsilon 0.5, delta 1e-06"
    assert "laplace (sum)" in dp[1].note and "partition selection" in dp[1].note
    assert "suppressed groups 3" in dp[1].note
    assert report.auto_releasable
    _, too_big = check(result, kind="dp", dp_releases=RELEASES, max_bytes=10)
    assert too_big.blocked


def test_a_malformed_release_report_is_refused() -> None:
    first = RELEASES[0]
    for broken in (
        {**first, "dataset": None},
        {k: v for k, v in first.items() if k != "charged"},
        {**first, "mechanisms": ["laplace"]},
        {**first, "suppressed": "3"},
    ):
        with pytest.raises(ValueError, match="release report is malformed"):
            check({"total": 1}, kind="dp", dp_releases=[broken])


def test_a_check_report_reads_back_from_its_json() -> None:
    table = crosstab(districts({"North": 30, "South": 3}), rows=["district"])
    _, report = check({"t": table.to_output("t1"), "n": 1}, {"t1": table})
    stored = json.loads(json.dumps(report.to_dict()))
    assert all(type(line["rule"]) is str for line in stored["lines"])
    assert CheckReport.from_dict(stored) == report
    for broken in (
        {**stored["lines"][0], "rule": "no_such_rule"},
        {k: v for k, v in stored["lines"][0].items() if k != "note"},
    ):
        with pytest.raises(ValueError, match="malformed"):
            CheckReport.from_dict({"lines": [broken]})


def test_a_dp_result_treats_markers_as_plain_data() -> None:
    table = crosstab(districts({"North": 3}), rows=["district"])
    _, report = check({"t": table.to_output("t1")}, {"t1": table}, kind="dp")
    assert not lines(report, "min_count") and not lines(report, "unverifiable")


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        check({}, kind="other")


# --- The report never holds a data value --------------------------------------------------------


def test_no_planted_value_reaches_the_report() -> None:
    data = pa.table(
        {
            "person_id": [f"ZZSECRET-{i:04d}" for i in range(24)],
            "district": ["North"] * 12 + ["South"] * 6 + ["West"] * 5 + ["East"],
            "income": [987654.321] + [10.25] * 23,
        }
    )
    values = input_values(data, ["person_id"], ["income"])
    by_district = crosstab(data, rows=["district"], value="income", agg="sum", unit="person_id")
    by_person = crosstab(data, rows=["person_id"], value="income", agg="mean")
    data = data.append_column("age", pa.array([float(20 + i) for i in range(24)]))
    fit = regression(data, y="income", x=["age"], where=[("age", "<", 30.0)])
    result = {
        "fit": fit.to_output("r1"),
        "by_district": by_district.to_output("t1"),
        "by_person": by_person.to_output("t2"),
        "ZZSECRET-0003": 5,
        "raw": [987654.321, "ZZSECRET-0007", {"person_id": "ZZSECRET-0001"}],
        "rows": [{"person_id": "ZZSECRET-0002", "district": "North", "income": 987654.321}],
    }
    earlier = [
        facts_of(
            crosstab(
                data, rows=["district"], value="income", agg="sum", where=[("income", "<", 100.0)]
            )
        )
    ]
    _, report = check(
        result,
        {"t1": by_district, "t2": by_person, "r1": fit},
        values=values,
        earlier=earlier,
        row_rules=rules(redact_at_or_below=1),
    )
    assert report.blocked
    assert {
        "min_count",
        "dominance_nk",
        "dominance_p",
        "row_level",
        "unverifiable",
        "differencing",
        "min_dof",
    } <= {line.rule for line in report.failed()}
    assert lines(report, "redaction")
    text = json.dumps(report.to_dict())
    assert "ZZSECRET" not in text
    assert "987654" not in text
    for line in report.lines:
        assert "ZZSECRET" not in str(line.statistic) + line.note
        assert "987654" not in str(line.statistic) + line.note


def test_report_round_trips() -> None:
    table = crosstab(districts({"North": 10, "South": 9}), rows=["district"])
    _, report = check({"t": table.to_output("t1"), "x": 1}, {"t1": table})
    data = json.loads(json.dumps(report.to_dict()))
    assert data["blocked"] is True and data["auto_releasable"] is False
    assert data["failed_rules"] == ["min_count", "unverifiable"]
    assert CheckReport.from_dict(data) == report


def test_unset_rules_take_the_platform_defaults() -> None:
    table = crosstab(districts({"North": 9}), rows=["district"])
    _, report = check(
        {"t": table.to_output("t1")}, {"t1": table}, row_rules=RowCountRules(rounding=5)
    )
    [line] = failed(report, "min_count")
    assert "at least 10" in line.note
