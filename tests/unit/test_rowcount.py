"""Row-count rules on DP output tables: suppression, rounding, size limit, the report."""

from __future__ import annotations

import json
import math

import pytest

from sandbox.errors import InvalidRequest, SandboxInternalError
from sandbox.policies.model import RowCountRules
from sandbox.policies.rowcount import (
    GroupRow,
    OutputTooLarge,
    RowAction,
    apply_row_count_rules,
    round_to_multiple,
)

RULES = RowCountRules(
    min_count=10,
    rounding=5,
    suppression_threshold=20,
    max_output_cells=100,
    no_row_level_output=True,
    dominance_n=2,
    dominance_k=90,
)


def rules(**changes: object) -> RowCountRules:
    values = {name: getattr(RULES, name) for name in RULES.__dataclass_fields__}
    values.update(changes)
    return RowCountRules(**values)


def test_suppresses_below_the_larger_of_threshold_and_min_count() -> None:
    rows = [
        GroupRow(("a",), 19.999, {"mean": 1.0}),
        GroupRow(("b",), 20.0, {"mean": 2.0}),
        GroupRow(("c",), 57.4, {"mean": 3.0}),
        GroupRow(("d",), -3.0, {"mean": 4.0}),
    ]
    result = apply_row_count_rules(rows, RULES)
    assert [r.key for r in result.rows] == [("b",), ("c",)]
    assert [r.count for r in result.rows] == [20.0, 55.0]
    assert [r.values for r in result.rows] == [{"mean": 2.0}, {"mean": 3.0}]
    report = result.report
    assert (report.groups_in, report.released, report.suppressed) == (4, 2, 2)
    assert report.threshold == 20
    suppressed = [line for line in report.lines if line.action is RowAction.SUPPRESSED]
    assert [(line.rule, line.group) for line in suppressed] == [
        ("suppression_threshold", ("a",)),
        ("suppression_threshold", ("d",)),
    ]


def test_min_count_rule_named_when_it_is_the_larger() -> None:
    result = apply_row_count_rules(
        [GroupRow(("a",), 12.0)], rules(min_count=15, suppression_threshold=3)
    )
    assert result.rows == ()
    assert result.report.threshold == 15
    assert result.report.lines[0].rule == "min_count"


@pytest.mark.parametrize("count", [math.nan, math.inf, -math.inf])
def test_non_finite_counts_are_suppressed(count: float) -> None:
    result = apply_row_count_rules([GroupRow(("x",), count)], RULES)
    assert result.rows == ()
    assert result.report.lines[0].rule == "non_finite_count"


@pytest.mark.parametrize(
    ("count", "multiple", "rounded"),
    [
        (22.4, 5, 20.0),
        (22.5, 5, 20.0),
        (27.5, 5, 30.0),
        (23.0, 5, 25.0),
        (20.4, 1, 20.0),
        (20.5, 1, 20.0),
        (21.5, 1, 22.0),
        (1234.0, 100, 1200.0),
    ],
)
def test_rounding_to_the_nearest_multiple_half_to_even(
    count: float, multiple: int, rounded: float
) -> None:
    assert round_to_multiple(count, multiple) == rounded
    result = apply_row_count_rules(
        [GroupRow((), count)], rules(rounding=multiple, min_count=1, suppression_threshold=0)
    )
    assert result.rows[0].count == rounded


def test_every_released_group_gets_a_rounding_line_and_no_line_holds_a_value() -> None:
    rows = [
        GroupRow(("north", 1), 123.456, {"income": 987.654}),
        GroupRow(("south", 2), 25.0, {"income": 555.5}),
        GroupRow(("east", 3), 7.25, {"income": 4242.42}),
    ]
    result = apply_row_count_rules(rows, RULES)
    rounded = [line.group for line in result.report.lines if line.action is RowAction.ROUNDED]
    assert rounded == [("north", 1), ("south", 2)]  # also 25.0, already a multiple
    text = json.dumps(result.report.to_dict())
    for value in ("123.456", "987.654", "7.25", "4242.42", "555.5"):
        assert value not in text
    assert result.report.to_dict()["lines"][2] == {
        "rule": "suppression_threshold",
        "group": ["east", 3],
        "action": "suppressed",
    }


def test_max_output_cells_boundary() -> None:
    # Each group is a count plus one value: two cells; suppressed groups do not count.
    rows = [GroupRow((i,), 100.0, {"v": 1.0}) for i in range(50)] + [GroupRow(("s",), 1.0)]
    result = apply_row_count_rules(rows, RULES)
    assert result.report.cells == 100
    with pytest.raises(OutputTooLarge) as info:
        apply_row_count_rules([*rows, GroupRow((99,), 100.0)], RULES)
    assert info.value.cells == 101 and info.value.limit == 100
    assert info.value.message == (
        "the output would hold 101 cells; the policy allows at "
        "most 100 (row_count.max_output_cells)"
    )
    assert isinstance(info.value, InvalidRequest)


def test_input_is_not_changed_and_order_is_kept() -> None:
    rows = [GroupRow((k,), c) for k, c in (("z", 30.0), ("a", 41.0), ("m", 50.0))]
    result = apply_row_count_rules(rows, RULES)
    assert [r.key for r in result.rows] == [("z",), ("a",), ("m",)]
    assert rows[1].count == 41.0


def test_empty_output() -> None:
    result = apply_row_count_rules([], RULES)
    assert result.rows == () and result.report.cells == 0 and result.report.lines == ()


def test_partial_rules_are_a_bug() -> None:
    with pytest.raises(SandboxInternalError, match="effective policy"):
        apply_row_count_rules([GroupRow((), 50.0)], RowCountRules(min_count=10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": ["a"], "count": 1.0}, "key must be a tuple"),
        ({"key": (), "count": True}, "count must be a number"),
        ({"key": (), "count": "12"}, "count must be a number"),
        ({"key": (), "count": 1.0, "values": [1.0]}, "values must be a mapping"),
    ],
)
def test_group_row_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        GroupRow(**kwargs)  # type: ignore[arg-type]


def test_only_group_rows_are_accepted() -> None:
    with pytest.raises(InvalidRequest, match="GroupRow"):
        apply_row_count_rules([(("a",), 50.0)], RULES)  # type: ignore[list-item]
