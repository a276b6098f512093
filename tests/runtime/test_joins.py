"""The model side of joins: ``join`` with another dataset of the grant and ``join_public``
with a lookup table cross the channel as data, before the row-level shape and the keys.

Run under the restricted compiler in the strongest backend.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import ChannelError, DPCall, DPRequest, encode
from tests.runtime.attacks import FakeBroker, run_attack


def test_joins_cross_as_data_in_order_and_a_base_handle_stays_plain(strongest: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            visits = ctx.dataset("census")
            both = visits.join(ctx.dataset("benefits"), on="pid", truncate=[2, 1], bound=2)
            placed = both.join_public("clinics", on="clinic", how="left")
            table = placed.where(["age", ">=", 65]).group_by("area").sum(
                "amount", lower=0, upper=10, epsilon=0.5)
            return [table, visits.count(epsilon=0.1)]
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    joined, plain = broker.calls
    assert joined.join == (
        {"kind": "private", "dataset": "benefits", "on": "pid", "truncate": [2, 1], "bound": 2},
        {"kind": "public", "table": "clinics", "on": "clinic", "how": "left"},
    )
    assert joined.where == (["age", ">=", 65],) and joined.group_by == ("area",)
    assert plain.join == ()


def test_joins_after_the_shape_or_of_shaped_handles_are_refused_in_the_model(
    strongest: Backend,
) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            people = ctx.dataset("census")
            other = ctx.dataset("benefits")
            refused = []
            for attempt in (
                lambda: people.where(["age", ">", 1]).join(other, on="pid"),
                lambda: people.group_by("region").join_public("t", on="k"),
                lambda: people.join(other.bin("age", [0, 50, 100]), on="pid"),
                lambda: people.join(other.join_public("t", on="k"), on="pid"),
                lambda: people.join("benefits", on="pid"),
            ):
                try:
                    attempt()
                except TypeError as exc:
                    refused.append(str(exc)[:30])
            return refused
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert len(outcome.value) == 5
    assert outcome.value[0].startswith("join(): join before where()")
    assert broker.calls == []


def test_a_request_with_joins_round_trips_and_old_messages_keep_their_bytes() -> None:
    request = DPRequest(
        call=DPCall.COUNT,
        dataset="d",
        args={"epsilon": 1},
        join=({"kind": "public", "table": "t", "on": "k", "how": "inner"},),
    )
    assert DPRequest.from_message(request.to_message()) == request
    plain = DPRequest(call=DPCall.COUNT, dataset="d", args={})
    assert "join" not in plain.to_message()
    assert encode(plain.to_message()) == encode(
        {"op": "dp", "call": "count", "dataset": "d", "args": {}, "group_by": []}
    )


@pytest.mark.parametrize("bad", [{"join": {"kind": "public"}}, {"join": ["t"]}])
def test_a_request_whose_joins_are_not_objects_is_a_protocol_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ChannelError, match="join must be a list of objects"):
        DPRequest.from_message({"op": "dp", "call": "count", "dataset": "d", "args": {}, **bad})
