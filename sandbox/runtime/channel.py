"""The one narrow channel between the untrusted worker and the trusted side.

Each message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON whose top
level is an object with an ``op`` string. Nothing else crosses: no pickle, no file descriptors,
no shared memory. Decoding is strict (no NaN/Infinity, no duplicate keys, no integer beyond 64
bits, no lone surrogate, a maximum size and nesting depth) and happens on the trusted side, which
must treat every message as hostile; encoding applies the same rules, so a well-behaved worker
finds out on its own side.

Messages (``op``, one of :class:`Op`):

* trusted → worker: ``start`` (source, params, allowed imports, limits), ``reply`` (a DP
  result: ``{"ok": true, "value": ...}`` or ``{"ok": false, "error": "..."}``);
* worker → trusted: ``dp`` (``{"op": "dp", "call": "count", "dataset": ..., "args": {...}}``,
  a :class:`DPRequest` naming one of :class:`DPCall`, with its ``group_by`` keys, ``where``
  conditions and ``derive`` columns when it has any), ``sdc`` (a raw-access job's helper, one
  of :class:`HelperCall`), ``log`` (one line), ``result`` (the model's return value), ``error``
  (a failure with its kind, one of :class:`ErrorKind`).

The names are string enums: a member encodes exactly as its value, so the wire format is plain
JSON strings. The worker imports this module inside the sandbox, so it stays stdlib-only.
"""

from __future__ import annotations

import enum
import json
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DP_CALLS",
    "HEADER",
    "MAX_MESSAGE_BYTES",
    "ChannelError",
    "DPCall",
    "DPRequest",
    "ErrorKind",
    "FrameDecoder",
    "HelperCall",
    "Op",
    "decode_payload",
    "encode",
    "read_message",
    "unsendable",
    "write_message",
]

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 1024 * 1024
"""Default largest payload accepted in one message."""

MAX_DEPTH = 32


class Op(enum.StrEnum):
    """What a message is (its ``op``)."""

    START = "start"
    """Trusted → worker, first: the model's source, parameters, imports and caps."""
    REPLY = "reply"
    """Trusted → worker: the answer to a ``dp`` or ``sdc`` request."""
    DP = "dp"
    """Worker → trusted: a DP aggregate (:class:`DPRequest`)."""
    SDC = "sdc"
    """Worker → trusted: a raw-access job's helper (:class:`HelperCall`)."""
    LOG = "log"
    """Worker → trusted: one log line."""
    RESULT = "result"
    """Worker → trusted, last: the model's return value."""
    ERROR = "error"
    """Worker → trusted, last: why the model did not return (:class:`ErrorKind`)."""


class DPCall(enum.StrEnum):
    """Aggregates a DP handle may ask the trusted broker for (each a method of its handle)."""

    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    VARIANCE = "variance"
    QUANTILE = "quantile"
    HISTOGRAM = "histogram"
    MIN = "min"
    MAX = "max"
    MEDIAN = "median"
    COUNT_DISTINCT = "count_distinct"
    AGG = "agg"
    SYNTHESIZE = "synthesize"
    """A DP synthetic table (MST, :mod:`sandbox.engine.synth`)."""
    LINEAR_REGRESSION = "linear_regression"
    """A DP model fitted on the trusted side (:mod:`sandbox.engine.models`), as the next four."""
    LOGISTIC_REGRESSION = "logistic_regression"
    KMEANS = "kmeans"
    PCA = "pca"
    NAIVE_BAYES = "naive_bayes"


DP_CALLS = frozenset(call.value for call in DPCall)
"""The names of :class:`DPCall`, as plain strings."""


class HelperCall(enum.StrEnum):
    """A raw-access job's helpers, computed exactly on the trusted side (``op == "sdc"``)."""

    CROSSTAB = "crosstab"
    REGRESSION = "regression"


class ErrorKind(enum.StrEnum):
    """Why a worker's final ``error`` message says the model did not return a result."""

    PROTOCOL = "protocol"
    """The trusted side did not start the worker properly."""
    COMPILE = "compile"
    """The model does not compile (the message lists the ``errors``)."""
    MODEL = "model"
    """The model raised (its ``message`` and, when known, its ``line``)."""
    OOM = "oom"
    """The model ran out of memory."""
    OUTPUT_TOO_LARGE = "output_too_large"
    """The result exceeds the result size cap."""
    BAD_RESULT = "bad_result"
    """The result is not plain JSON."""


class ChannelError(Exception):
    """A message broke the framing or the schema; the peer must be treated as hostile."""


def _reject_constant(name: str) -> float:
    raise ChannelError(f"non-finite number {name} is not allowed")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ChannelError(f"duplicate key {key!r}")
        out[key] = value
    return out


MAX_INT = 2**63 - 1
"""Largest integer magnitude that crosses (results are stored as JSON and Arrow int64)."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # ``1e999`` parses as infinity without parse_constant
        raise ChannelError(f"non-finite number {text[:20]} is not allowed")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        raise ChannelError("integer is too large")
    value = int(text)
    if abs(value) > MAX_INT:
        raise ChannelError("integer is too large")
    return value


RULE_FINITE = "a number must be finite (no NaN or infinity)"
RULE_INTEGER = "an integer must fit in 64 bits"
RULE_TEXT = "text must not contain lone surrogates"
RULE_DEPTH = f"values may nest at most {MAX_DEPTH} levels deep"
RULE_KEYS = "a dict's keys must be strings or numbers"
RULE_TYPE = "only numbers, strings, booleans, None, lists and dicts cross the channel"


def unsendable(value: object, level: int = 0) -> str | None:
    """The rule ``value`` breaks for the channel, or ``None`` when it may cross.

    The rules are those :func:`encode` and :func:`decode_payload` apply (a dict's number keys
    become strings, as in JSON); each is a fixed phrase that never quotes the value, so the
    worker can tell a model which argument cannot be sent without echoing it.
    """
    if level > MAX_DEPTH:
        return RULE_DEPTH
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if abs(value) <= MAX_INT else RULE_INTEGER
    if isinstance(value, float):
        return None if math.isfinite(value) else RULE_FINITE
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return RULE_TEXT
        return None
    if isinstance(value, list | tuple):
        for item in value:
            if (rule := unsendable(item, level + 1)) is not None:
                return rule
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if key is not None and not isinstance(key, str | int | float):
                return RULE_KEYS
            if (rule := unsendable(key, level + 1) or unsendable(item, level + 1)) is not None:
                return rule
        return None
    return RULE_TYPE


def _validate(value: object) -> None:
    """Check nesting depth, integer range, numbers, text (no lone surrogates) and types."""
    rule = unsendable(value)
    if rule is not None:
        raise ChannelError(rule)


def encode(message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES) -> bytes:
    """Encode one message as a frame.

    Args:
        message: A JSON-safe object with an ``op`` string.
        max_bytes: Largest payload allowed.

    Returns:
        The header and the payload.

    Raises:
        ChannelError: If the message is not JSON-safe (including nesting deeper than
            ``MAX_DEPTH``, integers beyond 64 bits and lone surrogates), has no ``op`` or is
            too large.
    """
    if not isinstance(message.get("op"), str):
        raise ChannelError("a message needs an 'op' string")
    _validate(message)
    try:
        payload = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise ChannelError(f"message is not JSON-safe: {exc}") from None
    if len(payload) > max_bytes:
        raise ChannelError(f"message of {len(payload)} bytes exceeds {max_bytes}")
    return HEADER.pack(len(payload)) + payload


def decode_payload(payload: bytes) -> dict[str, Any]:
    """Decode and validate one payload strictly.

    Args:
        payload: The bytes after the header.

    Returns:
        The message object.

    Raises:
        ChannelError: If it is not UTF-8 JSON, not an object with an ``op`` string, uses
            NaN/Infinity (or a float literal that overflows to it), an integer beyond 64 bits
            or a lone surrogate, repeats a key or nests too deeply.
    """
    try:
        text = payload.decode("utf-8")
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_no_duplicates,
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and int() refusing a huge digit string.
        raise ChannelError(f"message is not UTF-8 JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict) or not isinstance(value.get("op"), str):
        raise ChannelError("a message must be a JSON object with an 'op' string")
    _validate(value)
    return value


class FrameDecoder:
    """Incremental decoder for the trusted side: feed bytes, get whole messages.

    It never blocks, so the trusted side can read with a deadline and kill a worker that
    stalls mid-frame.
    """

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> Iterator[dict[str, Any]]:
        """Add bytes and yield every message they complete.

        Args:
            data: Bytes read from the pipe.

        Yields:
            Decoded messages, in order.

        Raises:
            ChannelError: On an oversize frame or an invalid payload.
        """
        self._buffer.extend(data)
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > self._max:
                raise ChannelError(f"frame of {length} bytes exceeds {self._max}")
            end = HEADER.size + length
            if len(self._buffer) < end:
                return
            payload = bytes(self._buffer[HEADER.size : end])
            del self._buffer[:end]
            yield decode_payload(payload)

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered (non-zero at EOF means truncation)."""
        return len(self._buffer)


def _read_exact(fd: int, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            raise ChannelError(f"channel closed after {len(chunks)} of {size} bytes")
        chunks.extend(chunk)
    return bytes(chunks)


def read_message(fd: int, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """Read one message, blocking (the worker side).

    Args:
        fd: The file descriptor to read from.
        max_bytes: Largest payload accepted.

    Returns:
        The decoded message.

    Raises:
        ChannelError: On EOF, truncation, an oversize frame or an invalid payload.
    """
    (length,) = HEADER.unpack(_read_exact(fd, HEADER.size))
    if length > max_bytes:
        raise ChannelError(f"frame of {length} bytes exceeds {max_bytes}")
    return decode_payload(_read_exact(fd, length))


def write_message(fd: int, message: dict[str, Any], max_bytes: int = MAX_MESSAGE_BYTES) -> None:
    """Encode and write one message whole.

    Args:
        fd: The file descriptor to write to.
        message: The message.
        max_bytes: Largest payload allowed.
    """
    data = memoryview(encode(message, max_bytes))
    while data:
        written = os.write(fd, data)
        data = data[written:]


@dataclass(frozen=True)
class DPRequest:
    """A validated DP call from the worker.

    Attributes:
        call: The aggregate (a plain string naming one is converted).
        dataset: The dataset name the model asked for.
        args: Plain keyword arguments (``epsilon``, ``column``, ``lower``, ...).
        group_by: Group keys, empty for an ungrouped call.
        where: Filter conditions as data (all must hold), empty for every row; the trusted
            side checks them (``sandbox.engine.filters``).
        derive: Derived columns as dicts (``{"kind": "bin", ...}``), in the order made.
        join: Joins as dicts (``{"kind": "private", "dataset": ..., "on": ...}`` or
            ``{"kind": "public", "table": ..., "on": ...}``), applied in order before the
            derived columns; the trusted side checks them (``sandbox.engine.joined``).
    """

    call: DPCall
    dataset: str
    args: dict[str, Any]
    group_by: tuple[str, ...] = ()
    where: tuple[Any, ...] = ()
    derive: tuple[dict[str, Any], ...] = ()
    join: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.call, DPCall):
            object.__setattr__(self, "call", DPCall(self.call))

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> DPRequest:
        """Validate a ``dp`` message.

        Args:
            message: A decoded message with ``op == "dp"``.

        Returns:
            The request.

        Raises:
            ChannelError: If a field is missing or of the wrong type.
        """
        call, dataset = message.get("call"), message.get("dataset")
        args, group_by = message.get("args", {}), message.get("group_by", [])
        where, derive = message.get("where", []), message.get("derive", [])
        join = message.get("join", [])
        if message.get("op") != Op.DP or not isinstance(call, str) or call not in DP_CALLS:
            raise ChannelError(f"unknown DP call {call!r}")
        if not isinstance(dataset, str) or not dataset:
            raise ChannelError("a DP call needs a dataset name")
        if not isinstance(args, dict):
            raise ChannelError("DP call args must be an object")
        if not isinstance(group_by, list) or not all(isinstance(k, str) for k in group_by):
            raise ChannelError("group_by must be a list of column names")
        # The conditions' content is the engine's to check: a bad one is a refusal the
        # model sees, not a broken channel.
        if not isinstance(where, list):
            raise ChannelError("where must be a list of conditions")
        if not isinstance(derive, list) or not all(isinstance(d, dict) for d in derive):
            raise ChannelError("derive must be a list of objects")
        if not isinstance(join, list) or not all(isinstance(j, dict) for j in join):
            raise ChannelError("join must be a list of objects")
        return cls(
            call=DPCall(call),
            dataset=dataset,
            args=args,
            group_by=tuple(group_by),
            where=tuple(where),
            derive=tuple(derive),
            join=tuple(join),
        )

    def to_message(self) -> dict[str, Any]:
        """Return the wire form."""
        return {
            "op": Op.DP.value,
            "call": self.call.value,
            "dataset": self.dataset,
            "args": self.args,
            "group_by": list(self.group_by),
            **({"where": list(self.where)} if self.where else {}),
            **({"derive": list(self.derive)} if self.derive else {}),
            **({"join": list(self.join)} if self.join else {}),
        }
