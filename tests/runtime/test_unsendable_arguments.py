"""Values the channel cannot carry are the model's own error, never the end of its job.

An argument of a DP call that the channel cannot encode (an unusual number, an object, a
string larger than a message may be) used to end the whole run as "sandbox stopped
unexpectedly / protocol error" whenever the worker's idea of the largest message differed
from the trusted side's; a log line or a broker's answer that did not fit did the same. Now
the worker checks what it sends against the trusted side's own rules and raises
:class:`~sandbox.runtime.worker.DPArgumentError` (a ``DPError`` and a ``TypeError``) in the
model, naming the argument and the rule but never the value: nothing reaches the broker, so
nothing is charged, and a model that catches it carries on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.runtime.backends import Backend, Limits
from sandbox.runtime.channel import DPRequest, unsendable
from sandbox.runtime.executor import BrokerRefusal
from tests.runtime.attacks import FakeBroker, run_attack

JOB_LIMITS = Limits(wall_seconds=20, cpu_seconds=10, max_message_bytes=128 * 1024)
"""A job's limits as :func:`sandbox.jobs.limits.runtime_limits` makes them for a result cap
of 64 KiB: the trusted side accepts messages of 128 KiB, less than the worker's default."""

UNSENDABLE = {
    "float('nan')": "finite",
    "float('inf')": "finite",
    "10 ** 400": "64 bits",
    "{1, 2}": "numbers, strings",
    "ctx.log": "numbers, strings",
    "b'raw'": "numbers, strings",
    "{(1, 2): 3}": "keys must be",
    "deep": "nest",
    "'x' * 300_000": "too large",
    "'x' * 2_000_000": "too large",
    "'\\x00' * 40_000": "too large",
}
"""Argument expressions a model may write, and a word of the rule each breaks."""


def _attempts(expressions: list[str], call: str) -> str:
    lines = []
    for expression in expressions:
        lines.append(
            f"    try:\n        {call.format(expression)}\n"
            "        caught.append(None)\n"
            "    except DPArgumentError as exc:\n"
            "        caught.append([str(exc), isinstance(exc, DPError),"
            " isinstance(exc, TypeError)])"
        )
    return "\n".join(lines)


def test_unsendable_dp_arguments_are_a_catchable_error_naming_the_argument(
    backend: Backend,
) -> None:
    """Each unsendable argument raises DPArgumentError in the model (a DPError and a
    TypeError), naming the call, the argument and the rule, never the value; nothing
    reaches the broker, and the model's next plain call is answered."""
    broker = FakeBroker()
    expressions = list(UNSENDABLE)
    body = (
        "def run(ctx):\n    handle = ctx.dataset('census')\n    caught = []\n"
        "    deep = []\n    for i in range(40):\n        deep = [deep]\n"
        + _attempts(expressions, "handle.count(epsilon=0.1, note={})")
        + "\n    return [caught, handle.count(epsilon=0.5)]\n"
    )
    outcome = run_attack(backend, body, broker, limits=JOB_LIMITS)
    assert outcome.status == "ok", outcome
    caught, answer = outcome.value
    assert answer == 42.0
    assert [c.args for c in broker.calls] == [{"epsilon": 0.5}]  # nothing else was sent
    for expression, (message, is_dp_error, is_type_error), rule in zip(
        expressions, caught, UNSENDABLE.values(), strict=True
    ):
        assert is_dp_error and is_type_error, expression
        assert message.startswith("count(): argument 'note' "), (expression, message)
        assert rule in message, (expression, message)
        assert "xxx" not in message and "nan" not in message.replace("NaN", ""), message


def test_an_unsendable_dataset_name_or_group_key_is_named_too(backend: Backend) -> None:
    broker = FakeBroker()
    outcome = run_attack(
        backend,
        """
        def run(ctx):
            caught = []
            for attempt in (lambda: ctx.dataset("c" * 300_000).count(epsilon=0.1),
                            lambda: ctx.dataset("census").group_by("g" * 300_000).count(
                                epsilon=0.1),
                            lambda: ctx.dataset("census").mean(10 ** 400, epsilon=0.1)):
                try:
                    attempt()
                except DPError as exc:
                    caught.append(str(exc))
            return caught
        """,
        broker,
        limits=JOB_LIMITS,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value[0].startswith("count(): the dataset name is too large")
    assert outcome.value[1].startswith("count(): the group keys are too large")
    assert outcome.value[2].startswith("mean(): argument 'column' ")
    assert broker.calls == []


def test_an_uncaught_unsendable_argument_is_a_model_error_not_a_crash(backend: Backend) -> None:
    outcome = run_attack(
        backend,
        """
        def run(ctx):
            return ctx.dataset("census").count(epsilon=0.1, note="y" * 300_000)
        """,
        limits=JOB_LIMITS,
    )
    assert outcome.status == "model_error", outcome
    assert outcome.errors[0].startswith("Line 4: DPArgumentError: count(): argument 'note' ")
    assert "yyy" not in outcome.errors[0]


class EchoingBroker(FakeBroker):
    """A broker whose refusals quote what the model sent, many times over, and whose
    answers may be values the channel cannot carry."""

    def __call__(self, request: DPRequest) -> Any:
        self.calls.append(request)
        if "answer" in request.args:
            return {"nan": float("nan"), "huge": 10**30}[request.args["answer"]]
        raise BrokerRefusal("refused: " + json.dumps(request.args) * 5)


def test_a_broker_answer_that_does_not_fit_is_refused_in_the_model(backend: Backend) -> None:
    """A refusal too large for a message is cut, and an answer the channel cannot carry is
    a refusal: the run goes on either way."""
    broker = EchoingBroker()
    outcome = run_attack(
        backend,
        """
        def run(ctx):
            handle = ctx.dataset("census")
            caught = []
            for args in ({"note": "z" * 100_000}, {"answer": "nan"}, {"answer": "huge"}):
                try:
                    handle.count(epsilon=0.1, **args)
                except DPError as exc:
                    caught.append(str(exc))
            return caught
        """,
        broker,
        limits=JOB_LIMITS,
    )
    assert outcome.status == "ok", outcome
    refused, nan, huge = outcome.value
    assert refused.startswith("refused: ") and len(refused) <= 2000
    assert "could not be sent" in nan and "could not be sent" in huge
    assert len(broker.calls) == 3


def test_a_log_line_larger_than_a_message_is_cut_not_a_crash(backend: Backend) -> None:
    """A line that would not fit in one message (its text, or its escapes: a NUL is six
    bytes of JSON) is cut to fit, and the log is marked truncated by the platform."""
    outcome = run_attack(
        backend,
        """
        def run(ctx):
            ctx.log("z" * 300_000)
            ctx.log("\\x00" * 100_000)
            ctx.log("after")
            return 1
        """,
        limits=JOB_LIMITS,
        log_max_bytes=1024 * 1024,
    )
    assert outcome.status == "ok", outcome
    assert outcome.log_truncated
    assert [line[:1] for line in outcome.log] == ["z", "\x00", "a"]
    assert 1000 < len(outcome.log[0]) < JOB_LIMITS.max_message_bytes
    assert outcome.log[2] == "after"


def _nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (None, None),
        (True, None),
        (1.5, None),
        (2**63 - 1, None),
        ("é\x00", None),
        ([1, {"a": [None]}], None),
        (float("nan"), "finite"),
        (float("-inf"), "finite"),
        (2**63, "64 bits"),
        (-(2**63), "64 bits"),
        ("\ud800", "surrogates"),
        ({1: 2}, None),
        ({(1, 2): 3}, "keys must be"),
        ({"a": {1, 2}}, "numbers, strings"),
        (object(), "numbers, strings"),
        (_nested(40), "nest"),
        (_nested(30), None),
    ],
)
def test_unsendable_names_the_rule_a_value_breaks(value: object, rule: str | None) -> None:
    found = unsendable(value)
    assert (found is None) if rule is None else (found is not None and rule in found), found
