"""The model side of the joint and the new aggregates: ``agg``, ``count_distinct``, ``min``,
``max`` and ``median`` cross the channel as plain DP calls, with their grouping and shape,
under the restricted compiler in the strongest backend.
"""

from __future__ import annotations

from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import DP_CALLS, DPCall
from tests.runtime.attacks import FakeBroker, run_attack


def test_new_aggregates_cross_as_dp_calls(strongest: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            people = ctx.dataset("census")
            by_region = people.group_by("region").agg(
                ["count", "sum", "mean"], column="income", lower=0, upper=1000, epsilon=1)
            older = people.where(["age", ">=", 65]).agg(("variance",), column="income",
                                                        lower=0, upper=1000, epsilon=0.5)
            return [by_region, older, people.count_distinct("name", epsilon=0.1),
                    people.min("income", lower=0, upper=10, epsilon=0.1),
                    people.max("income", lower=0, upper=10, epsilon=0.1),
                    people.median("income", lower=0, upper=10, epsilon=0.1)]
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    joint, filtered, distinct, low, high, middle = broker.calls
    assert joint.call is DPCall.AGG and joint.group_by == ("region",)
    assert joint.args == {
        "statistics": ["count", "sum", "mean"],
        "column": "income",
        "lower": 0,
        "upper": 1000,
        "epsilon": 1,
    }
    assert filtered.args["statistics"] == ["variance"]  # a tuple crosses as a list
    assert filtered.where == (["age", ">=", 65],)
    assert (distinct.call, distinct.args) == (
        DPCall.COUNT_DISTINCT,
        {"column": "name", "epsilon": 0.1},
    )
    assert [c.call for c in (low, high, middle)] == [DPCall.MIN, DPCall.MAX, DPCall.MEDIAN]
    assert {"agg", "count_distinct", "min", "max", "median"} <= DP_CALLS
