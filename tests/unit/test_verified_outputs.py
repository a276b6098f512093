"""The trusted-side exact aggregates behind ctx.crosstab and ctx.regression."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from sandbox.disclosure.verified import HelperError, cross_tabulation, crosstab, regression

PEOPLE = pa.table(
    {
        "pid": ["p1", "p1", "p2", "p3", "p4", "p5", None, None],
        "district": ["North", "North", "North", "South", "South", None, "North", "South"],
        "sex": ["F", "M", "F", "F", "M", "F", "M", "F"],
        "income": [10.0, 20.0, 30.0, -40.0, None, 60.0, 70.0, float("nan")],
        "age": [30, 40, 50, 60, 70, 80, 90, 25],
        "born": [dt.date(1990, 1, 1)] * 4 + [dt.date(2000, 1, 1)] * 4,
    }
)


def rows_of(output: Any) -> list[list[Any]]:
    return [list(r) for r in output.to_output("x")["rows"]]


def test_count_per_key_with_nulls_last_and_marker_format() -> None:
    table = crosstab(PEOPLE, rows=["district"])
    assert table.to_output("job/crosstab/1") == {
        "sdc_output": "job/crosstab/1",
        "kind": "crosstab",
        "columns": ["district", "count"],
        "rows": [["North", 4], ["South", 3], [None, 1]],
    }
    assert table.population == 8
    assert [f.count for f in table.facts] == [4, 3, 1]
    assert table.cells[0] == {"district": "North", "count": 4}
    assert table.statistics == 3


def test_rows_and_cols_and_no_keys() -> None:
    table = crosstab(PEOPLE, rows=["district"], cols=["sex"])
    assert rows_of(table) == [
        ["North", "F", 2],
        ["North", "M", 2],
        ["South", "F", 2],
        ["South", "M", 1],
        [None, "F", 1],
    ]
    total = crosstab(PEOPLE, rows=[])
    assert rows_of(total) == [[8]]
    nothing = crosstab(PEOPLE, rows=[], where=[("age", ">", 1000)])
    assert rows_of(nothing) == [] and nothing.population == 0


def test_sum_and_mean_leave_out_null_and_nan_values() -> None:
    summed = crosstab(PEOPLE, rows=["district"], value="income", agg="sum")
    assert summed.columns == ("district", "count", "income_sum")
    assert rows_of(summed) == [["North", 4, 130.0], ["South", 1, -40.0], [None, 1, 60.0]]
    assert summed.population == 6
    mean = crosstab(PEOPLE, rows=["district"], value="income", agg="mean")
    assert rows_of(mean)[0] == ["North", 4, 32.5]


def test_contributions_per_unit_and_per_row() -> None:
    by_unit = crosstab(PEOPLE, rows=["district"], value="income", agg="sum", unit="pid")
    north = by_unit.facts[0]
    # p1 contributes 10 + 20 = 30, p2 30, the row without a unit 70 (a contributor alone).
    assert north.count == 4
    assert north.contributors == 3
    assert north.top == (70.0, 30.0, 30.0)
    assert (north.top1, north.top2, north.total) == (70.0, 30.0, 130.0)
    south = by_unit.facts[1]
    assert south.top == (40.0,) and south.total == 40.0 and south.top2 == 0.0  # absolute
    by_row = crosstab(PEOPLE, rows=["district"], value="income", agg="sum")
    assert by_row.facts[0].contributors == 4
    assert by_row.facts[0].top == (70.0, 30.0, 20.0, 10.0)
    counted = crosstab(PEOPLE, rows=["district"], unit="pid")
    assert counted.facts[0].contributors == 3 and counted.facts[0].total is None


def test_top_contributions_are_capped() -> None:
    many = pa.table({"k": ["a"] * 30, "v": [float(i) for i in range(30)]})
    facts = crosstab(many, rows=["k"], value="v", agg="sum").facts[0]
    assert len(facts.top) == cross_tabulation.TOP_KEPT
    assert facts.top[0] == 29.0 and facts.total == sum(range(30))


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ([("sex", "==", "F")], 5),
        ([("sex", "!=", "F")], 3),
        ([("age", "<", 40)], 2),
        ([("age", "<=", 40)], 3),
        ([("age", ">", 80)], 1),
        ([("age", ">=", 80.0)], 2),
        ([("district", "in", ["South", "East"])], 3),
        ([("age", "in", [30, 40.0])], 2),
        ([("district", "!=", "North")], 3),  # a null never meets a condition
        ([("born", ">=", "1995-06-01")], 4),
        ([("sex", "==", "F"), ("age", "<", 60)], 3),
        ([["sex", "==", "M"]], 3),
    ],
)
def test_where_conditions(where: list[Any], expected: int) -> None:
    assert crosstab(PEOPLE, rows=[], where=where).population == expected


def test_dictionary_and_date_keys_become_json() -> None:
    table = PEOPLE.set_column(1, "district", PEOPLE.column("district").dictionary_encode())
    out = crosstab(table, rows=["district", "born"], where=[("district", "==", "South")])
    assert rows_of(out) == [["South", "1990-01-01", 1], ["South", "2000-01-01", 2]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": ["nope"]}, "rows: unknown column 'nope'"),
        ({"rows": "district"}, "rows must be a list of column names"),
        ({"rows": ["district"], "cols": ["district"]}, "each key column once"),
        ({"rows": ["district", "sex", "age", "born", "pid"]}, "at most 4 key columns"),
        ({"rows": ["district"], "agg": "median"}, "agg must be one of: count, sum, mean"),
        ({"rows": ["district"], "value": "income"}, "value is only for agg 'sum' or 'mean'"),
        ({"rows": ["district"], "agg": "sum"}, "value must be a column name"),
        (
            {"rows": ["district"], "agg": "sum", "value": "sex"},
            "value: column 'sex' is not numeric",
        ),
        ({"rows": [], "where": [("sex", "~", "F")]}, "where[0]: the operator must be one of"),
        ({"rows": [], "where": [("sex", "==")]}, "where[0] must be [column, operator, literal]"),
        ({"rows": [], "where": "sex == F"}, "where must be a list"),
        ({"rows": [], "where": [("sex", "==", 3)]}, "column 'sex' holds text"),
        ({"rows": [], "where": [("age", ">", "30")]}, "column 'age' is numeric"),
        ({"rows": [], "where": [("age", "in", [])]}, "'in' takes a list"),
        ({"rows": [], "where": [("age", "==", [1])]}, "the literal must be"),
        ({"rows": [], "where": [("born", "<", "yesterday")]}, "not an ISO date or time"),
        ({"rows": [], "where": [("ghost", "==", 1)]}, "where[0]: unknown column 'ghost'"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(HelperError) as info:
        crosstab(PEOPLE, **kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_errors_never_quote_data_values() -> None:
    secret = pa.table({"name": ["ZZSECRET-A", "ZZSECRET-B"], "x": [1, 2]})
    for kwargs in (
        {"rows": ["name"], "agg": "sum", "value": "name"},
        {"rows": [], "where": [("name", ">", 5)]},
        {"rows": [], "where": [("x", "==", "ZZ")]},
    ):
        with pytest.raises(HelperError) as info:
            crosstab(secret, **kwargs)
        assert "ZZSECRET" not in str(info.value)


def test_too_many_cells_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cross_tabulation, "MAX_CELLS", 5)
    with pytest.raises(HelperError, match="more than 5 cells"):
        crosstab(PEOPLE, rows=["age"])


def test_nested_key_columns_are_refused() -> None:
    nested = pa.table({"tags": [[1], [2]]})
    with pytest.raises(HelperError, match="does not hold plain values"):
        crosstab(nested, rows=["tags"])


# --- Regression ---------------------------------------------------------------------------------


def _linear(n: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    y = 1.5 + 2.0 * x1 - 0.5 * x2 + rng.normal(scale=0.1, size=n)
    return pa.table({"y": y, "x1": x1, "x2": x2, "g": ["a", "b"] * (n // 2)})


def test_regression_matches_the_textbook_formulas() -> None:
    data = _linear(40)
    fit = regression(data, y="y", x=["x1", "x2"])
    assert fit.n == 40 and fit.dof_resid == 37 and fit.rank == 3
    design = np.column_stack([np.ones(40), data["x1"].to_numpy(), data["x2"].to_numpy()])
    target = data["y"].to_numpy()
    beta = np.linalg.solve(design.T @ design, design.T @ target)
    resid = target - design @ beta
    sigma2 = resid @ resid / 37
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    assert fit.estimates == pytest.approx(list(beta))
    assert fit.std_errors == pytest.approx(list(se))
    assert fit.r2 is not None and 0.99 < fit.r2 <= 1
    out = fit.to_output("r/1")
    assert out["sdc_output"] == "r/1" and out["kind"] == "regression"
    assert out["columns"] == ["term", "estimate", "std_error"]
    assert [row[0] for row in out["rows"]] == ["intercept", "x1", "x2"]
    assert out["dof_resid"] == 37 and out["n"] == 40


def test_regression_where_and_missing_values() -> None:
    data = _linear(40)
    fit = regression(data, y="y", x=["x1"], where=[("g", "==", "a")])
    assert fit.n == 20 and fit.dof_resid == 18
    holes = pa.table({"y": [1.0, 2.0, None, 4.0, 5.0], "x": [1.0, 2.0, 3.0, float("nan"), 5.0]})
    assert regression(holes, y="y", x=["x"]).n == 3


def test_collinear_or_saturated_regressions_have_no_estimates() -> None:
    collinear = pa.table(
        {"y": [1.0, 2.0, 3.0, 5.0], "a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 8.0]}
    )
    fit = regression(collinear, y="y", x=["a", "b"])
    assert fit.rank == 2 and fit.estimates == (None, None, None)
    saturated = regression(collinear, y="y", x=["a"], where=[("a", "<=", 2)])
    assert saturated.dof_resid == 0
    assert all(e is not None for e in saturated.estimates)
    assert saturated.std_errors == (None, None)
    empty = regression(collinear, y="y", x=["a"], where=[("a", ">", 10)])
    assert empty.n == 0 and empty.dof_resid == -2 and empty.estimates == (None, None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": None, "x": ["x1"]}, "y must be a column name"),
        ({"y": "y", "x": []}, "x must name at least 1 column"),
        ({"y": "y", "x": ["y"]}, "not y"),
        ({"y": "y", "x": ["x1", "x1"]}, "each predictor once"),
        ({"y": "y", "x": ["g"]}, "x: column 'g' is not numeric"),
        ({"y": "g", "x": ["x1"]}, "y: column 'g' is not numeric"),
    ],
)
def test_regression_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(HelperError) as info:
        regression(_linear(10), **kwargs)
    assert message in str(info.value)


def test_outputs_are_plain_json() -> None:
    import json

    out = crosstab(PEOPLE, rows=["district", "born"], value="income", agg="mean")
    text = json.dumps(out.to_output("o"), allow_nan=False)
    assert json.loads(text) == out.to_output("o")
    assert not any(
        isinstance(v, float) and math.isnan(v) for row in out.to_output("o")["rows"] for v in row
    )
