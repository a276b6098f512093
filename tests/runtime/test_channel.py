"""Framing and strict decoding of the worker channel."""

from __future__ import annotations

import os
from typing import Any

import pytest

from sandbox.runtime.channel import (
    HEADER,
    ChannelError,
    DPCall,
    DPRequest,
    ErrorKind,
    FrameDecoder,
    Op,
    encode,
    read_message,
    write_message,
)


def _frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def test_round_trips_over_a_pipe() -> None:
    r, w = os.pipe()
    try:
        write_message(w, {"op": "log", "line": "héllo"})
        assert read_message(r) == {"op": "log", "line": "héllo"}
    finally:
        os.close(r)
        os.close(w)


def test_decoder_handles_split_and_batched_frames() -> None:
    data = encode({"op": "a"}) + encode({"op": "b", "x": [1, 2.5]})
    decoder = FrameDecoder()
    out = [m for i in range(len(data)) for m in decoder.feed(data[i : i + 1])]
    assert out == [{"op": "a"}, {"op": "b", "x": [1, 2.5]}]
    assert decoder.pending == 0


def test_cant_send_oversize_frames() -> None:
    """It denies a frame whose header announces more than the maximum."""
    with pytest.raises(ChannelError):
        list(FrameDecoder(max_bytes=100).feed(HEADER.pack(101) + b"{"))
    with pytest.raises(ChannelError):
        encode({"op": "x", "pad": "a" * 200}, max_bytes=100)


def test_cant_send_truncated_frames() -> None:
    """It denies a frame cut short by EOF."""
    r, w = os.pipe()
    os.write(w, _frame(b'{"op": "log"}')[:-3])
    os.close(w)
    try:
        with pytest.raises(ChannelError):
            read_message(r)
    finally:
        os.close(r)
    decoder = FrameDecoder()
    assert list(decoder.feed(_frame(b'{"op":"x"}')[:-1])) == []
    assert decoder.pending > 0


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x81",
        b"not json",
        b"[1, 2]",
        b'{"no_op": 1}',
        b'{"op": 3}',
        b'{"op": "x", "v": NaN}',
        b'{"op": "x", "v": Infinity}',
        b'{"op": "x", "op": "y"}',
        b'{"op": "x", "v": ' + b"[" * 100 + b"]" * 100 + b"}",
        b"\x80\x04\x95pickle",
    ],
)
def test_cant_send_non_json(payload: bytes) -> None:
    """It denies payloads that are not strict JSON objects with an op."""
    with pytest.raises(ChannelError):
        list(FrameDecoder().feed(_frame(payload)))


def test_cant_encode_non_json_values() -> None:
    """It denies encoding values that are not plain JSON."""
    with pytest.raises(ChannelError):
        encode({"op": "x", "v": object()})
    with pytest.raises(ChannelError):
        encode({"op": "x", "v": float("nan")})
    with pytest.raises(ChannelError):
        encode({"v": 1})


def test_dp_request_round_trip_and_validation() -> None:
    req = DPRequest(
        call="count",  # type: ignore[arg-type]  # coerced
        dataset="census",
        args={"epsilon": 0.1},
    )
    assert DPRequest.from_message(req.to_message()) == req
    for bad in (
        {"op": "dp", "call": "exec", "dataset": "d"},
        {"op": "dp", "call": "count", "dataset": ""},
        {"op": "dp", "call": "count", "dataset": "d", "args": []},
        {"op": "dp", "call": "count", "dataset": "d", "group_by": [1]},
    ):
        with pytest.raises(ChannelError):
            DPRequest.from_message(bad)


def test_typed_names_encode_as_their_plain_strings() -> None:
    """The enums are the wire's vocabulary, not a new format: the bytes stay the same."""
    assert encode({"op": Op.ERROR, "kind": ErrorKind.OOM, "message": "m"}) == encode(
        {"op": "error", "kind": "oom", "message": "m"}
    )
    req = DPRequest(call=DPCall.MEAN, dataset="census", args={"column": "x"}, group_by=("g",))
    assert encode(req.to_message()) == encode(
        {
            "op": "dp",
            "call": "mean",
            "dataset": "census",
            "args": {"column": "x"},
            "group_by": ["g"],
        }
    )
    plain: Any = "count"  # a plain string from the wire is coerced to its DPCall
    assert DPRequest(call=plain, dataset="d", args={}).call is DPCall.COUNT
    assert DPRequest.from_message(req.to_message()).call is DPCall.MEAN
