"""The model side of the DP model calls: ``linear_regression``, ``logistic_regression``,
``kmeans``, ``pca`` and ``naive_bayes`` cross the channel as plain DP calls (column lists
and bounds as lists), and what cannot cross is refused in the model, naming the argument,
before anything is sent."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sandbox.runtime.backends import Backend
from sandbox.runtime.channel import MAX_MESSAGE_BYTES, DPCall
from sandbox.runtime.handles import DPArgumentError, DPHandle
from tests.runtime.attacks import FakeBroker, run_attack


def test_model_calls_cross_as_dp_calls_in_the_sandbox(strongest: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            people = ctx.dataset("census").where(["age", ">=", 18])
            people.linear_regression("income", ("age", "region"),
                                     bounds={"age": (18, 90)}, epsilon=0.5)
            people.logistic_regression("region", "age", positive="north", C=2, epsilon=0.5)
            people.kmeans(["age", "income"], k=3, epsilon=1)
            people.pca(["age", "income"], n_components=1, epsilon=1)
            people.naive_bayes("region", ["age"], epsilon=1)
            return 1
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    linear, logistic, kmeans, pca, bayes = broker.calls
    assert linear.call is DPCall.LINEAR_REGRESSION and linear.where == (["age", ">=", 18],)
    assert linear.args == {
        "y": "income",
        "x": ["age", "region"],
        "bounds": {"age": [18, 90]},
        "epsilon": 0.5,
    }
    assert logistic.args == {
        "y": "region",
        "x": ["age"],
        "positive": "north",
        "C": 2,
        "epsilon": 0.5,
    }
    assert (kmeans.call, kmeans.args["columns"], kmeans.args["k"]) == (
        DPCall.KMEANS,
        ["age", "income"],
        3,
    )
    assert (pca.call, pca.args["n_components"]) == (DPCall.PCA, 1)
    assert (bayes.call, bayes.args["y"]) == (DPCall.NAIVE_BAYES, "region")


def handle(sent: list[dict[str, Any]]) -> DPHandle:
    def send(message: dict[str, Any]) -> dict[str, Any]:
        sent.append(message)
        return {"ok": True, "value": {}}

    return DPHandle("census", send, MAX_MESSAGE_BYTES)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda h: h.group_by("region").linear_regression("y", ["x"]), "before group_by()"),
        (lambda h: h.linear_regression("y", [1]), "argument 'x' must be a column name"),
        (lambda h: h.kmeans({"a": 1}, k=2), "argument 'columns' must be a column name"),
        (lambda h: h.naive_bayes(3, ["x"]), "argument 'y' must be a column name"),
        (
            lambda h: h.linear_regression("y", ["x"], bounds={"x": [0, math.nan]}),
            "argument 'bounds' cannot be sent",
        ),
    ],
)
def test_what_cannot_cross_is_refused_before_sending(call: Any, words: str) -> None:
    sent: list[dict[str, Any]] = []
    with pytest.raises(DPArgumentError) as refused:
        call(handle(sent))
    assert words in str(refused.value)
    assert sent == []
