"""Run one algorithm model in a backend, answering its DP calls through a trusted broker.

The broker is the trusted side of the channel: it receives each validated
:class:`~sandbox.runtime.channel.DPRequest` and returns the (noisy) value, or raises
:class:`BrokerRefusal` with a message fit for the user. Everything the worker sends is decoded
strictly here; nothing is unpickled.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.runtime.backends.base import Backend, Limits, run_process
from sandbox.runtime.channel import ChannelError, DPRequest, encode
from sandbox.runtime.worker import LOG_TRUNCATED, OOM_EXIT_CODE

__all__ = ["Broker", "BrokerRefusal", "ModelOutcome", "run_model", "worker_argv"]


class BrokerRefusal(Exception):
    """The broker refused a DP call; the message is shown to the model (and its user)."""


Broker = Callable[[DPRequest], Any]


@dataclass
class ModelOutcome:
    """The result of a model run.

    Attributes:
        status: ``ok``, ``compile_error``, ``model_error``, ``timed_out``, ``oom``,
            ``output_too_large`` or ``crashed``.
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

    Returns:
        The :class:`ModelOutcome`.
    """
    limits = limits or Limits()
    log: list[str] = []
    log_left = log_max_bytes

    def handle(message: dict[str, Any]) -> dict[str, Any] | None:
        nonlocal log_left
        op = message["op"]
        if op == "log":
            line = str(message.get("line", ""))
            if len(line) <= log_left:  # the trusted side caps too
                log_left -= len(line)
                log.append(line)
            elif not log or log[-1] != LOG_TRUNCATED:
                log.append(LOG_TRUNCATED)
            return None
        if op == "dp":
            try:
                return {"op": "reply", "ok": True, "value": broker(DPRequest.from_message(message))}
            except (BrokerRefusal, ChannelError) as exc:
                return {"op": "reply", "ok": False, "error": str(exc)}
        return None

    start = encode(
        {
            "op": "start",
            "source": source,
            "params": dict(params or {}),
            "allowed_imports": sorted(set(allowed_imports)),
            "log_max_bytes": log_max_bytes,
            "result_max_bytes": result_max_bytes,
        },
        limits.max_message_bytes,
    )
    with tempfile.TemporaryDirectory(prefix="sandbox-job-") as scratch:
        launch = backend.wrap(worker_argv(), Path(scratch), limits)
        raw = run_process(launch, limits, Path(scratch), handle, first_message=start)
    outcome = ModelOutcome(
        status="crashed",
        backend=backend.name,
        log=log,
        exit_code=raw.exit_code,
        duration=raw.duration,
    )
    final = [m for m in raw.messages if m["op"] in ("result", "error")]
    if raw.timed_out or raw.cpu_exceeded:
        outcome.status = "timed_out"
    elif raw.exit_code == OOM_EXIT_CODE or (final and final[-1].get("kind") == "oom"):
        outcome.status = "oom"
    elif raw.protocol_error:
        outcome.errors = [f"protocol error: {raw.protocol_error}"]
    elif final and final[-1]["op"] == "result" and raw.exit_code == 0:
        outcome.status, outcome.value = "ok", final[-1].get("value")
    elif final and final[-1]["op"] == "error":
        kind = final[-1].get("kind")
        if kind == "compile":
            outcome.status = "compile_error"
            outcome.errors = [str(e) for e in final[-1].get("errors", [])]
        elif kind == "output_too_large":
            outcome.status = "output_too_large"
        else:
            outcome.status = "model_error"
            line = final[-1].get("line")
            message = str(final[-1].get("message", ""))
            outcome.errors = [f"Line {line}: {message}" if line else message]
    return outcome
