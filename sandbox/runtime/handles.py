"""The model's DP handles and the errors they raise, inside the sandbox.

A DP handle holds no data: each aggregate is one ``dp`` message to the trusted broker, which
applies the policy and charges the budget. Before a message leaves, it is checked against
the channel's own rules (:func:`~sandbox.runtime.channel.unsendable` and the trusted side's
largest message): what cannot cross is :class:`DPArgumentError` in the model, naming the
argument and the rule but never the value, and nothing is sent, so nothing is charged. The
trusted side would refuse the same message as a protocol error and end the run.

Imported by the worker inside the sandbox: standard library and the channel only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.runtime.channel import ChannelError, DPCall, DPRequest, encode, unsendable

__all__ = ["DPArgumentError", "DPError", "DPHandle", "Send", "check_sendable"]

Send = Callable[[dict[str, Any]], dict[str, Any]]
"""Writes one message to the trusted side and returns its reply."""

MAX_NAME_CHARS = 64
"""Longest argument name an error quotes (a model picks the names of ``**kwargs``)."""


class DPError(Exception):
    """A DP call the trusted broker refused (budget, policy, unknown dataset, bad arguments)."""


class DPArgumentError(DPError, TypeError):
    """A DP call's argument the channel cannot carry, refused before anything was sent.

    A ``TypeError`` too, as a value of the wrong type always was: models that caught that
    keep working.
    """


def _quoted(name: str) -> str:
    shown = name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 3] + "..."
    return repr(shown.encode("utf-8", "replace").decode("utf-8"))


def check_sendable(
    call: str,
    parts: Mapping[str, object],
    message: dict[str, Any],
    max_bytes: int,
    error: type[Exception] = DPArgumentError,
) -> None:
    """Raise ``error`` unless ``message`` crosses the channel, naming the part at fault.

    Args:
        call: The call's name, for the message (``count``).
        parts: What the message is made of, by the words that name each (``argument
            'epsilon'``, ``the dataset name``); every value of the message is in one.
        message: The message as it would be sent.
        max_bytes: The trusted side's largest message.
        error: The exception to raise.
    """
    for words, value in parts.items():
        rule = unsendable(value)
        if rule is not None:
            raise error(f"{call}(): {words} cannot be sent to the platform: {rule}")
    try:
        encode(message, max_bytes)
    except ChannelError:
        largest = max(parts, key=lambda words: len(json.dumps(parts[words])))
        verb = "are" if largest.endswith("keys") else "is"
        raise error(f"{call}(): {largest} {verb} too large to send (a call's message is "
                    f"limited to {max_bytes} bytes)") from None


def call_parts(dataset: str, group_by: tuple[str, ...], args: Mapping[str, Any]
               ) -> dict[str, object]:
    """The parts of a DP call's message, by the words an error names each with."""
    parts: dict[str, object] = {"the dataset name": dataset}
    if group_by:
        parts["the group keys"] = list(group_by)
    for name, value in args.items():
        if unsendable(name) is not None:
            parts["an argument's name"] = name
        else:
            parts[f"argument {_quoted(name)}"] = value
    return parts


class DPHandle:
    """The model's view of a dataset: every aggregate is a message to the trusted broker."""

    __slots__ = ("_dataset", "_group_by", "_max_bytes", "_send")

    def __init__(self, dataset: str, send: Send, max_bytes: int,
                 group_by: tuple[str, ...] = ()) -> None:
        self._dataset = dataset
        self._send = send
        self._max_bytes = max_bytes
        self._group_by = group_by

    def _call(self, call: DPCall, args: dict[str, Any]) -> Any:
        request = DPRequest(call=call, dataset=self._dataset, args=args, group_by=self._group_by)
        message = request.to_message()
        check_sendable(call.value, call_parts(self._dataset, self._group_by, args), message,
                       self._max_bytes)
        reply = self._send(message)
        if reply.get("ok") is not True:
            raise DPError(str(reply.get("error", "the DP call was refused")))
        return reply.get("value")

    def group_by(self, *keys: str) -> DPHandle:
        """Return a handle whose aggregates are computed per group of ``keys``."""
        if not keys or not all(isinstance(k, str) for k in keys):
            raise TypeError("group_by() takes one or more column names")
        return DPHandle(self._dataset, self._send, self._max_bytes,
                        self._group_by + tuple(keys))

    def count(self, **kwargs: Any) -> Any:
        """DP count (``epsilon``)."""
        return self._call(DPCall.COUNT, kwargs)

    def sum(self, column: str, **kwargs: Any) -> Any:
        """DP sum of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.SUM, {"column": column, **kwargs})

    def mean(self, column: str, **kwargs: Any) -> Any:
        """DP mean of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.MEAN, {"column": column, **kwargs})

    def variance(self, column: str, **kwargs: Any) -> Any:
        """DP variance of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.VARIANCE, {"column": column, **kwargs})

    def quantile(self, column: str, **kwargs: Any) -> Any:
        """DP quantile of ``column`` (``q``, ``lower``, ``upper``, ``epsilon``)."""
        return self._call(DPCall.QUANTILE, {"column": column, **kwargs})

    def histogram(self, column: str, **kwargs: Any) -> Any:
        """DP histogram of ``column`` (``epsilon``)."""
        return self._call(DPCall.HISTOGRAM, {"column": column, **kwargs})

    def __repr__(self) -> str:
        return f"<DP handle {self._dataset!r}>"
