"""Run one algorithm model in a backend, answering its DP calls through a trusted broker.

The broker is the trusted side of the channel: it receives each validated
:class:`~sandbox.runtime.channel.DPRequest` and returns the (noisy) value, or raises
:class:`BrokerRefusal` with a message fit for the user. Everything the worker sends is decoded
strictly here; nothing is unpickled.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.runtime.backends.base import Backend, Limits, run_process
from sandbox.runtime.channel import ChannelError, DPRequest, encode
from sandbox.runtime.worker import LOG_TRUNCATED, OOM_EXIT_CODE

__all__ = [
    "MAX_COMPILE_ERRORS",
    "MAX_ERROR_CHARS",
    "Broker",
    "BrokerRefusal",
    "ModelOutcome",
    "run_model",
    "worker_argv",
]


MAX_ERROR_CHARS = 2000
"""Longest error message an outcome carries (the worker's text is cut to it)."""

MAX_COMPILE_ERRORS = 50
"""Most compile errors an outcome carries."""


class BrokerRefusal(Exception):
    """The broker refused a DP call; the message is shown to the model (and its user)."""


Broker = Callable[[DPRequest], Any]
Helpers = Callable[[dict[str, Any]], Any]
"""Answers a raw-access job's helper message (``op == "sdc"``) on the trusted side."""


@dataclass
class ModelOutcome:
    """The result of a model run.

    Attributes:
        status: ``ok``, ``compile_error``, ``model_error``, ``timed_out``, ``oom``,
            ``output_too_large``, ``cancelled`` or ``crashed``.
        value: The model's JSON result when ``status == "ok"``.
        errors: Compile errors or the model's error message.
        log: Log lines, in order.
        backend: The backend's name (recorded with the job).
        exit_code: The process's exit status.
        duration: Seconds.
    """

    status: str
    backend: str
    value: Any = None
    errors: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    exit_code: int | None = None
    duration: float = 0.0


def worker_argv() -> list[str]:
    """Return the command that starts the worker (isolated mode, no user site, no env)."""
    return [sys.executable, "-I", "-m", "sandbox.runtime.worker"]


def run_model(
    backend: Backend,
    source: str,
    broker: Broker,
    *,
    params: Mapping[str, Any] | None = None,
    allowed_imports: Iterable[str] = (),
    limits: Limits | None = None,
    log_max_bytes: int = 64 * 1024,
    result_max_bytes: int = 1024 * 1024,
    stop: threading.Event | None = None,
    inputs: Path | None = None,
    tables: Mapping[str, str] | None = None,
    helpers: Helpers | None = None,
) -> ModelOutcome:
    """Run a model's source in ``backend`` and collect its outcome.

    Args:
        backend: Where to run it.
        source: The model's source (compiled again inside the sandbox).
        broker: Answers DP calls.
        params: Validated parameters.
        allowed_imports: The policy's import allow-list.
        limits: Resource limits (defaults when ``None``).
        log_max_bytes: Log size cap.
        result_max_bytes: Result size cap.
        stop: Set to stop the run early (a cancel); the outcome is then ``cancelled``.
        inputs: A host directory the backend exposes read-only at ``/inputs`` (raw-access
            jobs only; backends that refuse raw access refuse it).
        tables: Dataset name to its Arrow file's path inside the sandbox, for ``ctx.table``.
        helpers: Answers a raw-access job's ``sdc`` messages (``ctx.crosstab`` and
            ``ctx.regression``): exact aggregates computed on the trusted side.

    Returns:
        The :class:`ModelOutcome`.
    """
    limits = limits or Limits()
    log: list[str] = []
    log_left = log_max_bytes
    log_received = 0
    final: list[dict[str, Any]] = []

    def handle(message: dict[str, Any]) -> dict[str, Any] | None:
        # The worker is hostile: anything a well-behaved worker never sends ends the run.
        nonlocal log_left, log_received
        op = message["op"]
        if final:
            raise ChannelError("a message after the final result or error")
        if op == "log":
            line = str(message.get("line", ""))
            cost = max(1, len(line))  # the worker charges at least as much (UTF-8 bytes)
            log_received += cost
            if log_received > log_max_bytes + len(LOG_TRUNCATED):
                raise ChannelError("the worker kept logging past the log size cap")
            if cost <= log_left:  # the trusted side caps too
                log_left -= cost
                log.append(line)
            elif not log or log[-1] != LOG_TRUNCATED:
                log.append(LOG_TRUNCATED)
            return None
        if op == "dp":
            try:
                return {"op": "reply", "ok": True, "value": broker(DPRequest.from_message(message))}
            except (BrokerRefusal, ChannelError) as exc:
                return {"op": "reply", "ok": False, "error": str(exc)}
        if op == "sdc":
            if helpers is None:
                return {"op": "reply", "ok": False,
                        "error": "this job has no raw-access helpers"}
            try:
                return {"op": "reply", "ok": True, "value": helpers(message)}
            except (BrokerRefusal, ChannelError) as exc:
                return {"op": "reply", "ok": False, "error": str(exc)}
        if op in ("result", "error"):
            final.append(message)
            return None
        raise ChannelError("a message with an unknown op")

    start = encode(
        {
            "op": "start",
            "source": source,
            "params": dict(params or {}),
            "allowed_imports": sorted(set(allowed_imports)),
            "log_max_bytes": log_max_bytes,
            "result_max_bytes": result_max_bytes,
            "tables": dict(tables or {}),
        },
        limits.max_message_bytes,
    )
    with tempfile.TemporaryDirectory(prefix="sandbox-job-") as scratch:
        if inputs is None:
            launch = backend.wrap(worker_argv(), Path(scratch), limits)
        else:
            launch = backend.wrap(worker_argv(), Path(scratch), limits, inputs=inputs)
        raw = run_process(launch, limits, Path(scratch), handle, first_message=start,
                          stop=stop)
    outcome = ModelOutcome(
        status="crashed",
        backend=backend.name,
        log=log,
        exit_code=raw.exit_code,
        duration=raw.duration,
    )
    if raw.stopped:
        outcome.status = "cancelled"
    elif raw.timed_out or raw.cpu_exceeded:
        outcome.status = "timed_out"
    elif raw.exit_code == OOM_EXIT_CODE or (final and final[-1].get("kind") == "oom"):
        outcome.status = "oom"
    elif raw.protocol_error:
        outcome.errors = [_clip(f"protocol error: {raw.protocol_error}")]
    elif final and final[-1]["op"] == "result" and raw.exit_code == 0:
        value = final[-1].get("value")
        try:  # the worker checks the cap, but a hostile one could write a frame itself
            encode({"op": "result", "value": value}, result_max_bytes)
        except ChannelError:
            outcome.status = "output_too_large"
        else:
            outcome.status, outcome.value = "ok", value
    elif final and final[-1]["op"] == "error":
        kind = final[-1].get("kind")
        if kind == "compile":
            outcome.status = "compile_error"
            errors = final[-1].get("errors")
            errors = errors if isinstance(errors, list) else [errors]
            outcome.errors = [_clip(e, 500) for e in errors[:MAX_COMPILE_ERRORS]]
            if len(errors) > MAX_COMPILE_ERRORS:
                outcome.errors.append(f"... and {len(errors) - MAX_COMPILE_ERRORS} more errors")
        elif kind == "output_too_large":
            outcome.status = "output_too_large"
        else:
            outcome.status = "model_error"
            line = final[-1].get("line")
            message = str(final[-1].get("message", ""))
            has_line = type(line) is int and line > 0
            outcome.errors = [_clip(f"Line {line}: {message}" if has_line else message)]
    return outcome


def _clip(text: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Return ``str(text)`` cut to ``limit`` characters (a hostile worker picks the text)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
