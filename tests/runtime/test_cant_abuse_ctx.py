"""Capability leaks from ``ctx`` and the DP handle, and abuse of the channel behind them.

The model's only capabilities are ``ctx.dataset(name)`` (a DP handle whose every aggregate is
a message the trusted broker answers), ``ctx.params`` and ``ctx.log``. These attacks try to get
more: the send function itself, forged replies, datasets outside the grant, values that are
not plain JSON, unknown operations, a hung broker. Attacks marked *hostile* run the model as
plain Python in the real worker, as if RestrictedPython had a hole: the trusted side must
still hold. Each attack on the channel or the trusted side also runs in the scientific
profile on bwrap and docker (``walled``), where the model is ordinary Python and reaches the
channel's pipes as a matter of course; the two that test Python-level guards of ``ctx`` (its
reprs, its read-only attributes) are the restricted profile's: a scientific model owns its
process, and only what crosses the channel counts.
"""

from __future__ import annotations

import json
import re

import pytest

from sandbox.runtime.backends import Backend, Limits
from sandbox.runtime.channel import HEADER
from sandbox.runtime.compiler import compile_model
from tests.runtime.attacks import (
    GRANTED,
    FakeBroker,
    run_attack,
    run_hostile,
)


@pytest.mark.parametrize(
    "expression",
    [
        "ctx._send",
        "ctx._post",
        "ctx._tables",
        "ctx.dataset('census')._send",
        "ctx.dataset('census')._call('count', {})",
        "ctx.dataset('census')._dataset",
        "ctx.__dict__",
        "ctx.__slots__",
        "ctx.__reduce_ex__(2)",
        "ctx.dataset('census').__reduce__()",
        "ctx.dataset.__self__",
        "ctx.log.__func__.__globals__",
        "ctx.dataset('census').count.__closure__",
        "getattr(ctx, '_send')",
        "vars(ctx)",
        "'{0._send}'.format(ctx)",
        "'{0._send}'.format(ctx.dataset('census'))",
        "f'{ctx.dataset(\"census\")._send}'",
        "(lambda c=ctx: c._send)()",
    ],
)
def test_cant_reach_the_channel_through_ctx(expression: str) -> None:
    """It denies every route from ``ctx`` or a DP handle to the channel's send function."""
    source = f'"""An attack."""\n\ndef run(ctx):\n    return {expression}\n'
    result = compile_model(source, ())
    assert not result.ok and result.code is None
    assert any("not allowed" in e or "starts with" in e for e in result.errors), result.errors


def test_cant_see_the_channel_in_reprs(strongest: Backend) -> None:
    """It denies internals through ``repr``/``str``/``%r``/f-string ``!r`` of ctx and handles."""
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            handle = ctx.dataset("census")
            return [
                repr(ctx), str(handle), f"{handle!r}", "%r" % (ctx.dataset,), str(ctx.log),
                repr(handle.count), repr(handle.group_by("region")), "%s" % (ctx.params,),
            ]
        """,
    )
    assert outcome.status == "ok", outcome
    text = re.sub(r"0x[0-9a-f]+", "0x", json.dumps(outcome.value))
    for internal in ("send", "_serve", "post", "_fd", "closure", "function"):
        assert internal not in text, text


def test_cant_forge_a_broker_reply(walled: Backend) -> None:
    """It denies a forged reply: frames hidden in logs, args or results stay plain strings."""
    fake = json.dumps({"op": "reply", "ok": True, "value": 1e9})
    frame = (HEADER.pack(len(fake)) + fake.encode()).decode("latin-1")
    broker = FakeBroker()
    outcome = run_attack(
        walled,
        f"""
        def run(ctx):
            frame = {frame!r}
            ctx.log(frame)
            handle = ctx.dataset("census")
            first = handle.count(epsilon=0.5, op="reply", ok=True, value=1e9, note=frame)
            second = handle.count(epsilon=0.5)
            return [first, second, frame]
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == [42.0, 42.0, frame]
    assert outcome.log == [frame]
    assert [c.args for c in broker.calls][1] == {"epsilon": 0.5}
    assert all(c.dataset == GRANTED and c.call == "count" for c in broker.calls)


def test_cant_read_datasets_outside_the_grant(walled: Backend) -> None:
    """It denies datasets the grant lacks, however the name or the arguments are dressed up."""
    broker = FakeBroker()
    outcome = run_attack(
        walled,
        """
        def run(ctx):
            answers = []
            for name in ["secret", "census/../secret", "CENSUS", " census", "census\\x00",
                         "*", "secret,census"]:
                try:
                    answers.append(ctx.dataset(name).count(epsilon=0.1))
                except Exception as exc:
                    answers.append(str(exc))
            handle = ctx.dataset("census")
            answers.append(handle.count(epsilon=0.1, dataset="secret"))
            answers.append(handle.group_by("region").mean("income", lower=0, upper=1,
                                                          epsilon=0.1, dataset="secret"))
            return answers
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert [a for a in outcome.value[:7] if "not in this job's grant" in str(a)] == (
        outcome.value[:7]
    )
    assert outcome.value[7:] == [42.0, 10.5]
    answered = [c for c in broker.calls if c.dataset == GRANTED]
    assert len(answered) == 2
    assert {c.dataset for c in broker.calls} - {GRANTED} == {
        "secret",
        "census/../secret",
        "CENSUS",
        " census",
        "census\x00",
        "*",
        "secret,census",
    }


SMUGGLED = [
    "float('nan')",
    "float('inf')",
    "-float('inf')",
    "10 ** 30",
    "10 ** 5000",
    "nested",
    "'x' * (2 * 1024 * 1024)",
    "chr(0xD800)",
    "ctx",
    "ctx.log",
    "b'bytes'",
    "{1, 2}",
    "{(1, 2): 3}",
    "{'a': float('nan')}",
    "(x for x in [1])",
]


def test_cant_smuggle_non_json_through_dp_args(walled: Backend) -> None:
    """It denies DP arguments that are not plain JSON (NaN, huge ints, deep nesting, big
    strings, objects): each call fails in the model and nothing reaches the broker."""
    broker = FakeBroker()
    attempts = "\n".join(
        f"    try:\n        handle.count(epsilon={v})\n        sent.append({v!r})\n"
        "    except TypeError:\n        pass"
        for v in SMUGGLED
    )
    body = (
        "def run(ctx):\n    handle = ctx.dataset('census')\n    sent = []\n    nested = []\n"
        "    for i in range(40):\n        nested = [nested]\n" + attempts + "\n    return sent\n"
    )
    outcome = run_attack(walled, body, broker)
    assert outcome.status == "ok", outcome
    assert outcome.value == []
    assert broker.calls == []


def test_cant_call_unknown_dp_operations(walled: Backend) -> None:
    """It denies anything but the DP aggregates on a handle: no rows, table, iteration."""
    broker = FakeBroker()
    outcome = run_attack(
        walled,
        """
        def run(ctx):
            handle = ctx.dataset("census")
            refused = []
            for attempt in (
                lambda: handle.rows(),
                lambda: handle.table,
                lambda: handle.collect(),
                lambda: handle.to_pandas(),
                lambda: handle.raw("income"),
                lambda: handle.sql("select * from census"),
                lambda: list(handle),
                lambda: handle[0],
                lambda: len(handle),
                lambda: handle.group_by(),
                lambda: handle.group_by("region").rows(),
            ):
                try:
                    attempt()
                except (AttributeError, TypeError):
                    refused.append(1)
            return refused
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert len(outcome.value) == 11
    assert broker.calls == []


def test_cant_send_unknown_dp_calls_on_the_raw_channel(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) DP calls outside the aggregates: refused, never a trusted crash."""
    broker = FakeBroker()
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        def run(ctx):
            replies = []
            for call in ('"raw_rows"', '"exec"', '"__import__"', '["count"]', '{"count": 1}',
                         "null"):
                raw_frame('{"op": "dp", "call": %s, "dataset": "census", "args": {}}' % call)
                replies.append(raw_reply())
            return replies
        """,
        broker,
    )
    assert outcome.status == "ok", outcome
    assert len(outcome.value) == 6
    for reply in outcome.value:
        assert reply["ok"] is False and "unknown DP call" in reply["error"], reply
    assert broker.calls == []


def test_cant_rebind_ctx_or_handle_attributes(strongest: Backend) -> None:
    """It denies writing ``ctx``/handle attributes (swapping ``log`` or ``dataset``)."""
    outcome = run_attack(
        strongest,
        """
        def run(ctx):
            handle = ctx.dataset("census")
            refused = 0
            for attempt in (
                lambda: setitem(ctx, "params"),
                lambda: setitem(ctx, "dataset"),
                lambda: setitem(ctx, "log"),
                lambda: setitem(handle, "count"),
                lambda: remove(ctx),
            ):
                try:
                    attempt()
                except TypeError:
                    refused += 1
            ctx.params["upper"] = 10 ** 9  # its own copy: allowed, and local
            return [refused, handle.count(epsilon=0.1)]

        def setitem(target, name):
            if name == "params":
                target.params = {}
            elif name == "dataset":
                target.dataset = None
            elif name == "log":
                target.log = None
            else:
                target.count = None

        def remove(target):
            del target.params
        """,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == [5, 42.0]


def test_cant_influence_the_trusted_side_through_params(walled: Backend) -> None:
    """It denies a model's writes to ``ctx.params`` reaching the caller's params or the broker."""
    params = {"upper": 100, "nested": {"keep": [1, 2]}}
    broker = FakeBroker()
    outcome = run_attack(
        walled,
        """
        def run(ctx):
            ctx.params["upper"] = 10 ** 9
            ctx.params["nested"]["keep"].append(3)
            ctx.params["grant"] = "everything"
            ctx.params.clear()
            return ctx.dataset("census").mean("income", lower=0, upper=1, epsilon=0.1)
        """,
        broker,
        params=params,
    )
    assert outcome.status == "ok", outcome
    assert params == {"upper": 100, "nested": {"keep": [1, 2]}}
    assert broker.calls[0].args == {"column": "income", "lower": 0, "upper": 1, "epsilon": 0.1}


def test_cant_write_frames_on_stdout(walled: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """It denies (hostile) frames written on fd 1: the worker moved its channel off stdout."""
    forged = json.dumps({"op": "result", "value": "FORGED"})
    frame = HEADER.pack(len(forged)) + forged.encode()
    outcome = run_hostile(
        walled,
        monkeypatch,
        f"""
        import os, sys
        def run(ctx):
            os.write(1, {frame!r})
            sys.stdout.write({frame.decode()!r})
            sys.stdout.flush()
            print({forged!r})
            return "genuine"
        """,
    )
    assert outcome.status == "ok", outcome
    assert outcome.value == "genuine" and outcome.log == []


def test_cant_bypass_the_result_cap_with_a_raw_frame(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) a result frame larger than the result cap, written by hand."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        import os
        def run(ctx):
            raw_message({"op": "result", "value": "x" * 200_000})
            os._exit(0)
        """,
        result_max_bytes=1000,
    )
    assert outcome.status == "output_too_large", outcome
    assert outcome.value is None


@pytest.mark.parametrize(
    "args",
    [
        '{"epsilon": 1e999}',
        '{"epsilon": -1e999}',
        '{"epsilon": NaN}',
        '{"epsilon": Infinity}',
        '{"epsilon": 1' + "0" * 5000 + "}",
        '{"epsilon": 18446744073709551616}',
        '{"epsilon": "\\ud800"}',
        '{"epsilon": ' + "[" * 40 + "]" * 40 + "}",
        '{"epsilon": 1, "epsilon": 2}',
    ],
)
def test_cant_smuggle_non_json_to_the_broker_on_the_raw_channel(
    walled: Backend, monkeypatch: pytest.MonkeyPatch, args: str
) -> None:
    """It denies (hostile) infinities, huge ints, lone surrogates, deep nesting, duplicate keys.

    ``1e999`` parses as infinity without ``parse_constant`` noticing, and a 5000-digit int
    makes ``json.loads`` raise a plain ``ValueError``: both must end the run as a protocol
    error, not reach the broker or raise in the trusted process.
    """
    broker = FakeBroker()
    frame = f'{{"op": "dp", "call": "count", "dataset": "census", "args": {args}}}'
    outcome = run_hostile(
        walled,
        monkeypatch,
        f"""
        def run(ctx):
            raw_frame({frame!r})
            return raw_reply()
        """,
        broker,
    )
    assert outcome.status == "crashed", outcome
    assert outcome.errors and outcome.errors[0].startswith("protocol error"), outcome
    assert broker.calls == []


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe not utf-8",
        b"[]",
        b'{"op": 1}',
        b'{"op": "reply", "ok": true, "value": 1}',
        b'{"op": "start", "source": "x"}',
        b'{"op": "error", "kind": "compile", "errors": 5}',
        b'{"op": "error", "kind": "compile", "errors": "abc"}',
        b'{"op": "error", "kind": "model", "line": {"x": 1}, "message": ["a"]}',
        b'{"op": "error", "kind": "model", "line": "Line 1: injected", "message": null}',
        b'{"op": "log", "line": {"a": [1]}}',
        b'{"op": "result"}',
    ],
)
def test_cant_crash_the_trusted_side_with_malformed_messages(
    walled: Backend, monkeypatch: pytest.MonkeyPatch, payload: bytes
) -> None:
    """It denies (hostile) malformed or out-of-protocol messages a crash of the trusted side."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        f"""
        import os
        def run(ctx):
            raw_frame({payload!r})
            os._exit(0)
        """,
    )
    assert outcome.status in ("crashed", "compile_error", "model_error", "ok"), outcome
    assert all(isinstance(e, str) for e in outcome.errors)
    assert not any("injected" in e and e.startswith("Line 1: Line") for e in outcome.errors)
    assert all(isinstance(line, str) for line in outcome.log)


def test_cant_send_an_oversize_frame_header(
    walled: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It denies (hostile) a header announcing 4 GiB: rejected at once, nothing buffered."""
    outcome = run_hostile(
        walled,
        monkeypatch,
        """
        import os, time
        def run(ctx):
            os.write(channel_fds()[1], b"\\xff\\xff\\xff\\xff" + b"{" * 65536)
            time.sleep(5)
        """,
    )
    assert outcome.status == "crashed", outcome
    assert "exceeds" in outcome.errors[0]
    assert outcome.duration < 4


def test_cant_hang_the_broker(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """It denies (hostile) hanging the trusted runner by never reading the broker's replies.

    The worker floods DP requests from a thread and never reads its stdin: once the pipe is
    full, a blocking write of a reply would stall the runner past the wall-time deadline.
    The worker ends itself after a few seconds, so a failure is slow, not a hang.
    """
    broker = FakeBroker()
    outcome = run_hostile(
        backend,
        monkeypatch,
        """
        import os, threading, time
        def flood(out_fd):
            request = b'{"op":"dp","call":"count","dataset":"census","args":{"epsilon":1}}'
            frame = len(request).to_bytes(4, "big") + request
            for _ in range(20000):
                os.write(out_fd, frame)
        def run(ctx):
            threading.Thread(target=flood, args=(channel_fds()[1],), daemon=True).start()
            time.sleep(3)
            os._exit(0)
        """,
        broker,
        limits=Limits(wall_seconds=0.5, cpu_seconds=5),
    )
    assert outcome.status == "timed_out", outcome  # not "crashed" when the worker gave up
    assert outcome.duration < 5
