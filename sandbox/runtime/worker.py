"""The code that runs INSIDE the sandbox: compile the model, run it, talk over the channel.

Run as ``python -I -m sandbox.runtime.worker``. The trusted side writes one ``start`` message on
stdin; the worker answers on stdout with ``dp`` requests (each waits for a ``reply``), ``log``
lines and finally one ``result`` or ``error``. Stdout is taken over at start-up so nothing but
framed messages reaches it. This process holds no dataset and no secret: a DP handle here is a
proxy that only sends messages; the trusted broker applies the policy and charges the budget.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.runtime.channel import (
    ChannelError,
    DPRequest,
    encode,
    read_message,
    write_message,
)
from sandbox.runtime.compiler import compile_model, safe_globals

__all__ = ["LOG_TRUNCATED", "OOM_EXIT_CODE", "DPError", "DPHandle", "ModelContext", "main"]

OOM_EXIT_CODE = 3
"""Exit status of a worker whose model ran out of memory."""

MODEL_FILENAME = "<model>"
LOG_TRUNCATED = "[log truncated: size limit reached]"

Send = Callable[[dict[str, Any]], dict[str, Any]]


class DPError(Exception):
    """A DP call the trusted broker refused (budget, policy, unknown dataset, bad arguments)."""


class DPHandle:
    """The model's view of a dataset: every aggregate is a message to the trusted broker."""

    __slots__ = ("_dataset", "_group_by", "_send")

    def __init__(self, dataset: str, send: Send, group_by: tuple[str, ...] = ()) -> None:
        self._dataset = dataset
        self._send = send
        self._group_by = group_by

    def _call(self, call: str, args: dict[str, Any]) -> Any:
        request = DPRequest(call=call, dataset=self._dataset, args=args, group_by=self._group_by)
        try:
            reply = self._send(request.to_message())
        except ChannelError as exc:
            raise TypeError(f"{call}() arguments must be plain numbers and strings") from exc
        if reply.get("ok") is not True:
            raise DPError(str(reply.get("error", "the DP call was refused")))
        return reply.get("value")

    def group_by(self, *keys: str) -> DPHandle:
        """Return a handle whose aggregates are computed per group of ``keys``."""
        if not keys or not all(isinstance(k, str) for k in keys):
            raise TypeError("group_by() takes one or more column names")
        return DPHandle(self._dataset, self._send, self._group_by + tuple(keys))

    def count(self, **kwargs: Any) -> Any:
        """DP count (``epsilon``)."""
        return self._call("count", kwargs)

    def sum(self, column: str, **kwargs: Any) -> Any:
        """DP sum of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call("sum", {"column": column, **kwargs})

    def mean(self, column: str, **kwargs: Any) -> Any:
        """DP mean of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call("mean", {"column": column, **kwargs})

    def variance(self, column: str, **kwargs: Any) -> Any:
        """DP variance of ``column`` (``lower``, ``upper``, ``epsilon``)."""
        return self._call("variance", {"column": column, **kwargs})

    def quantile(self, column: str, **kwargs: Any) -> Any:
        """DP quantile of ``column`` (``q``, ``lower``, ``upper``, ``epsilon``)."""
        return self._call("quantile", {"column": column, **kwargs})

    def histogram(self, column: str, **kwargs: Any) -> Any:
        """DP histogram of ``column`` (``epsilon``)."""
        return self._call("histogram", {"column": column, **kwargs})

    def __repr__(self) -> str:
        return f"<DP handle {self._dataset!r}>"


class ModelContext:
    """The ``ctx`` a model's ``run`` receives: ``dataset``, ``params`` and ``log``."""

    __slots__ = ("_log_left", "_log_truncated", "_post", "_send", "params")

    def __init__(
        self,
        params: Mapping[str, Any],
        send: Send,
        post: Callable[[dict[str, Any]], None],
        log_max_bytes: int,
    ) -> None:
        self.params = dict(params)
        self._send = send
        self._post = post
        self._log_left = log_max_bytes
        self._log_truncated = False

    def dataset(self, name: str) -> DPHandle:
        """Return the DP handle of a dataset (the broker checks the job's grant)."""
        if not isinstance(name, str) or not name:
            raise TypeError("dataset() takes a dataset name")
        return DPHandle(name, self._send)

    def log(self, line: object) -> None:
        """Append one line to the job log; lines beyond the log size cap are dropped."""
        text = str(line)
        size = len(text.encode("utf-8", "replace"))
        if size > self._log_left:
            if not self._log_truncated:
                self._log_truncated = True
                self._post({"op": "log", "line": LOG_TRUNCATED})
            return
        self._log_left -= size
        self._post({"op": "log", "line": text})


def _model_line(exc: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == MODEL_FILENAME]
    return frames[-1].lineno if frames else None


def _serve(in_fd: int, out_fd: int) -> int:
    def post(message: dict[str, Any]) -> None:
        write_message(out_fd, message)

    def send(message: dict[str, Any]) -> dict[str, Any]:
        post(message)
        reply = read_message(in_fd)
        if reply.get("op") != "reply":
            raise ChannelError("expected a reply")
        return reply

    start = read_message(in_fd)
    if start.get("op") != "start" or not isinstance(start.get("source"), str):
        post({"op": "error", "kind": "protocol", "message": "expected a start message"})
        return 2
    allowed = [str(m) for m in start.get("allowed_imports", [])]
    compiled = compile_model(start["source"], allowed, MODEL_FILENAME)
    if not compiled.ok or compiled.code is None:
        post({"op": "error", "kind": "compile", "errors": list(compiled.errors)})
        return 1
    ctx = ModelContext(
        start.get("params") or {}, send, post, int(start.get("log_max_bytes", 64 * 1024))
    )
    namespace = safe_globals(allowed)
    try:
        exec(compiled.code, namespace)  # noqa: S102 - restricted code in the OS sandbox
        value = namespace["run"](ctx)  # type: ignore[operator]
    except MemoryError:
        raise
    except Exception as exc:  # the model's own failure, reported as data
        post(
            {
                "op": "error",
                "kind": "model",
                "message": f"{type(exc).__name__}: {exc}"[:2000],
                "line": _model_line(exc),
            }
        )
        return 1
    result_max = int(start.get("result_max_bytes", 1024 * 1024))
    try:
        frame = encode({"op": "result", "value": value}, result_max)
    except ChannelError as exc:
        kind = "output_too_large" if "exceeds" in str(exc) else "bad_result"
        post({"op": "error", "kind": kind, "message": str(exc)})
        return 1
    os.write(out_fd, frame)
    return 0


def main() -> int:
    """Serve one job over stdin/stdout and return the exit status."""
    # Take the channel fds over and point fd 1 at stderr so no stray write corrupts framing.
    in_fd, out_fd = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    oom = encode({"op": "error", "kind": "oom", "message": "the model ran out of memory"})
    try:
        return _serve(in_fd, out_fd)
    except MemoryError:
        try:
            os.write(out_fd, oom)
        finally:
            os._exit(OOM_EXIT_CODE)
    except ChannelError as exc:
        sys.stderr.write(f"channel error: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
