"""The model side of filters, derived columns and several group keys.

A model writes ``where`` with ``ctx.col`` comparisons or plain data, derives columns with
``bin``, ``map`` and ``date_part``, and groups by several keys; each call crosses the
channel as data only. Run under the restricted compiler in the strongest backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import DPCall, DPRequest, encode
from sandbox.runtime.conditions import Column, as_filter_data
from sandbox.runtime.executor import run_model
from tests.runtime.attacks import FakeBroker, run_attack


def test_where_bin_and_two_key_group_by_cross_as_data(strongest: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            col = ctx.col
            people = ctx.dataset("census")
            old = people.where(col("age") >= 65, ["income", "not_null"])
            banded = old.bin("age", range(0, 121, 40), name="band")
            table = banded.group_by("region", "band").count(epsilon=0.5)
            other = people.map("region", {"north": "N", "south": "S"}, default="X").where(
                (col("age").between(18, 64) & col("region").isin(["north", "south"]))
                | ~col("income").is_null()
            ).date_part("day", "month").group_by(["region_group", "day_month"]).count(
                epsilon=0.25)
            return [table, other, people.count(epsilon=0.1)]
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    first, second, plain = broker.calls
    assert first.where == (["age", ">=", 65], ["income", "not_null"])
    assert first.derive == (
        {"kind": "bin", "column": "age", "edges": [0, 40, 80, 120], "name": "band"},
    )
    assert first.group_by == ("region", "band")
    assert second.where == (
        {
            "or": [
                {"and": [["age", "between", [18, 64]], ["region", "in", ["north", "south"]]]},
                {"not": ["income", "is_null"]},
            ]
        },
    )
    assert second.derive == (
        {
            "kind": "map",
            "column": "region",
            "mapping": {"north": "N", "south": "S"},
            "default": "X",
        },
        {"kind": "date_part", "column": "day", "part": "month"},
    )
    assert second.group_by == ("region_group", "day_month")
    # A handle is a base: shaping one never changes it.
    assert (plain.where, plain.derive, plain.group_by) == ((), (), ())


def test_conditions_refuse_truth_values_chained_comparisons_and_code(strongest: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            col = ctx.col
            people = ctx.dataset("census")
            refused = []
            for attempt in (
                lambda: people.where(col("age") >= 18 and col("age") < 65),
                lambda: people.where(18 <= col("age") < 65),
                lambda: people.where(not col("age")),
                lambda: people.where(col("age") >= col("income")),
                lambda: people.where(lambda row: row["age"] > 1),
                lambda: people.where(col("age")),
                lambda: people.where(["age", ">", lambda: 1]).count(epsilon=1),
                lambda: people.where(),
                lambda: people.group_by(),
                lambda: (col("age") >= 1) & 3,
            ):
                try:
                    attempt()
                except TypeError as exc:
                    refused.append(str(exc)[:40])
            return refused
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert len(outcome.value) == 10
    assert broker.calls == []  # nothing was sent, so nothing was charged


def test_a_request_with_a_shape_round_trips_and_old_messages_keep_their_bytes() -> None:
    request = DPRequest(
        call=DPCall.COUNT,
        dataset="d",
        args={"epsilon": 1},
        group_by=("a", "b"),
        where=(["x", ">", 1],),
        derive=({"kind": "bin", "column": "x", "edges": [0, 1]},),
    )
    assert DPRequest.from_message(request.to_message()) == request
    plain = DPRequest(call=DPCall.COUNT, dataset="d", args={})
    assert set(plain.to_message()) == {"op", "call", "dataset", "args", "group_by"}
    assert encode(plain.to_message()) == encode(
        {"op": "dp", "call": "count", "dataset": "d", "args": {}, "group_by": []}
    )


@pytest.mark.parametrize(
    "bad",
    [{"where": {"x": 1}}, {"where": "x > 1"}, {"derive": [["bin"]]}, {"derive": {"kind": "bin"}}],
)
def test_a_request_whose_shape_is_not_lists_is_a_protocol_error(bad: dict[str, Any]) -> None:
    from sandbox.runtime.channel import ChannelError

    with pytest.raises(ChannelError):
        DPRequest.from_message({"op": "dp", "call": "count", "dataset": "d", "args": {}, **bad})


def test_the_condition_builder_makes_the_documented_data() -> None:
    age, region = Column("age"), Column("region")
    assert (age >= 65).to_data() == ["age", ">=", 65]
    assert (65 <= age).to_data() == ["age", ">=", 65]  # reflected: the same condition
    assert (age != 3).to_data() == ["age", "!=", 3]
    assert region.isin({"b", "a"}).to_data() == ["region", "in", ["a", "b"]]
    three = (age > 1) & (age < 9) & region.not_null()
    assert three.to_data() == {"and": [["age", ">", 1], ["age", "<", 9], ["region", "not_null"]]}
    assert as_filter_data({"or": [age == 1, ["region", "is_null"]]}) == {
        "or": [["age", "==", 1], ["region", "is_null"]]
    }
    with pytest.raises(TypeError, match="never a function"):
        as_filter_data(print)
    with pytest.raises(TypeError, match="no truth value"):
        bool(age > 1)


def test_model_side_shape_errors_come_back_from_the_broker(strongest: Backend) -> None:
    """The worker sends what is data; the trusted side's refusal comes back as a DPError."""
    from sandbox.runtime.executor import BrokerRefusal

    class Refusing(FakeBroker):
        def __call__(self, request: DPRequest) -> Any:
            if request.where:
                raise BrokerRefusal(
                    "where(): column 'pid' is an identifier: rows cannot be filtered on it"
                )
            return super().__call__(request)

    source = '''"""Filter on the unit."""


def run(ctx):
    try:
        return ctx.dataset("census").where(["pid", "==", "x"]).count(epsilon=1)
    except Exception as exc:
        return str(exc)
'''
    outcome = run_model(strongest, source, Refusing())
    assert outcome.status == "ok", outcome
    assert outcome.value == "where(): column 'pid' is an identifier: rows cannot be filtered on it"
