"""Run one algorithm model in a backend, answering its DP calls through a trusted broker.

The broker is the trusted side of the channel: it receives each validated
:class:`~sandbox.runtime.channel.DPRequest` and returns the (noisy) value, or raises
:class:`BrokerRefusal` with a message fit for the user. Everything the worker sends is decoded
strictly here; nothing is unpickled.
"""

from __future__ import annotations

import enum
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.observability import metrics
from sandbox.runtime.backends.base import (
    Backend,
    Launch,
    Limits,
    Outcome,
    SandboxOwner,
    SandboxReaper,
    drive_process,
    run_process,
)
from sandbox.runtime.channel import ChannelError, DPRequest, ErrorKind, Op, encode
from sandbox.runtime.profiles import RuntimeProfile
from sandbox.runtime.warm import PoolKey, WarmPool
from sandbox.runtime.worker import OOM_EXIT_CODE

__all__ = [
    "MAX_COMPILE_ERRORS",
    "MAX_ERROR_CHARS",
    "Broker",
    "BrokerRefusal",
    "ModelOutcome",
    "RunStatus",
    "WorkerError",
    "run_model",
    "worker_argv",
]


MAX_ERROR_CHARS = 2000
"""Longest error message an outcome carries (the worker's text is cut to it)."""

MAX_COMPILE_ERRORS = 50
"""Most compile errors an outcome carries."""

LOG_NOTICE_SLACK = 64
"""Bytes past the log cap a worker may send before it is treated as flooding (its notice
that it truncated the log)."""


class BrokerRefusal(Exception):
    """The broker refused a DP call; the message is shown to the model (and its user)."""


Broker = Callable[[DPRequest], Any]
Helpers = Callable[[dict[str, Any]], Any]
"""Answers a raw-access job's helper message (``op == "sdc"``) on the trusted side."""


class RunStatus(enum.StrEnum):
    """How a model's run ended, as the runtime saw it."""

    OK = "ok"
    """The model returned a result within every cap."""
    COMPILE_ERROR = "compile_error"
    MODEL_ERROR = "model_error"
    """The model raised (or the worker failed in a way it reported)."""
    TIMED_OUT = "timed_out"
    """The wall-time or CPU limit stopped it."""
    OOM = "oom"
    OUTPUT_TOO_LARGE = "output_too_large"
    CANCELLED = "cancelled"
    """The trusted side stopped it (``stop`` was set)."""
    CRASHED = "crashed"
    """The sandbox ended without a final message, or broke the protocol."""


_ERROR_KINDS = frozenset(kind.value for kind in ErrorKind)


@dataclass(frozen=True)
class WorkerError:
    """A worker's final ``error`` message, read on the trusted side (every field is hostile).

    Attributes:
        kind: What failed; ``None`` for a kind this side does not know.
        message: The worker's text (not yet cut to a size).
        line: The model's line that raised, when the worker named a positive integer.
        errors: The compile errors as sent (a non-list value is one error).
    """

    kind: ErrorKind | None
    message: str
    line: int | None
    errors: tuple[object, ...]

    @classmethod
    def from_dict(cls, message: Mapping[str, Any]) -> WorkerError:
        """Read a decoded ``error`` message; never raises, whatever the worker sent."""
        kind = message.get("kind")
        line = message.get("line")
        errors = message.get("errors")
        return cls(
            kind=ErrorKind(kind) if isinstance(kind, str) and kind in _ERROR_KINDS else None,
            message=str(message.get("message", "")),
            line=line if type(line) is int and line > 0 else None,
            errors=tuple(errors) if isinstance(errors, list) else (errors,),
        )


@dataclass
class ModelOutcome:
    """The result of a model run.

    Attributes:
        status: How the run ended.
        value: The model's JSON result when ``status`` is :attr:`RunStatus.OK`.
        errors: Compile errors or the model's error message.
        log: The model's log lines, in order, as it wrote them (no line of the platform's).
        log_truncated: Whether lines were dropped or cut at the log size cap or the largest
            message (a fact of the platform's, kept apart from the model's lines).
        backend: The backend's name (recorded with the job).
        exit_code: The process's exit status.
        duration: Seconds.
    """

    status: RunStatus
    backend: str
    value: Any = None
    errors: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    log_truncated: bool = False
    exit_code: int | None = None
    duration: float = 0.0

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)  # a plain status name is read as its member


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
    owner: SandboxOwner | None = None,
    profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
    warm: WarmPool | None = None,
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
        owner: Who the sandbox runs for (labelled on it, so that what a killed runner left
            can be found and removed).
        profile: The runtime profile (:mod:`sandbox.runtime.profiles`): how the worker
            compiles and runs the source, and whose root the backend runs it in.
        warm: Sandboxes started ahead of demand (:mod:`sandbox.runtime.warm`): the run takes
            one if one is ready for its backend, limits and profile, and the next run's
            starts while this one runs. Not for a run with ``inputs``. A backend that labels its
            sandboxes with their job (docker) starts them labelled as waiting and names the
            job when a run takes one (its ``assign``).

    Returns:
        The :class:`ModelOutcome`.
    """
    limits = limits or Limits()
    log: list[str] = []
    log_left = log_max_bytes
    log_received = 0
    truncated = False
    final: list[dict[str, Any]] = []

    def handle(message: dict[str, Any]) -> dict[str, Any] | None:
        # The worker is hostile: anything a well-behaved worker never sends ends the run.
        nonlocal log_left, log_received, truncated
        if final:
            raise ChannelError("a message after the final result or error")
        op = message["op"]
        if op == Op.LOG:
            notice = message.get("truncated") is True and "line" not in message
            line = "" if notice else str(message.get("line", ""))
            cost = max(1, len(line))  # the worker charges at least as much (UTF-8 bytes)
            log_received += cost
            if log_received > log_max_bytes + LOG_NOTICE_SLACK:
                raise ChannelError("the worker kept logging past the log size cap")
            if notice or cost > log_left:  # the trusted side caps too
                truncated = True
            else:
                log_left -= cost
                log.append(line)
            return None
        if op == Op.DP:
            try:
                value = broker(DPRequest.from_message(message))
            except (BrokerRefusal, ChannelError) as exc:
                return _refusal(exc)
            return _answer(value, limits.max_message_bytes)
        if op == Op.SDC:
            if helpers is None:
                return {"op": Op.REPLY, "ok": False, "error": "this job has no raw-access helpers"}
            try:
                value = helpers(message)
            except (BrokerRefusal, ChannelError) as exc:
                return _refusal(exc)
            return _answer(value, limits.max_message_bytes)
        if op in (Op.RESULT, Op.ERROR):
            final.append(message)
            return None
        raise ChannelError("a message with an unknown op")

    start = encode(
        {
            "op": Op.START,
            "source": source,
            "params": dict(params or {}),
            "allowed_imports": sorted(set(allowed_imports)),
            "log_max_bytes": log_max_bytes,
            "result_max_bytes": result_max_bytes,
            "max_message_bytes": limits.max_message_bytes,
            "tables": dict(tables or {}),
            "profile": str(profile),
        },
        limits.max_message_bytes,
    )
    extra: dict[str, Any] = {}  # only what is set: a backend may not know the rest
    if profile is not RuntimeProfile.RESTRICTED:
        extra["profile"] = RuntimeProfile(profile)

    labelled = isinstance(backend, SandboxReaper)
    assign = getattr(backend, "assign", None) if labelled else None
    pooled = (
        warm is not None
        and inputs is None
        and (not labelled or (callable(assign) and owner is not None))
    )
    instance = owner.instance if owner is not None and labelled else ""

    def starter(scratch: Path) -> Launch:
        waiting: dict[str, Any] = {"owner": SandboxOwner(instance, None)} if labelled else {}
        return backend.wrap(worker_argv(), scratch, limits, **extra, **waiting)

    key: PoolKey = (backend.name, limits, RuntimeProfile(profile), instance)
    metrics.sandbox_started(backend.name)
    sandbox = warm.take(key) if warm is not None and pooled else None
    if sandbox is not None and assign is not None and owner is not None:
        assigned = assign(sandbox.launch, owner)
        if assigned is None:
            sandbox.discard()
            sandbox = None
        else:
            sandbox.launch = assigned
    if warm is not None and pooled:  # the next run's, starting while this one runs
        warm.refill(key, starter)
    if sandbox is not None:
        try:
            raw = drive_process(
                sandbox.process, sandbox.launch, limits, handle, first_message=start, stop=stop
            )
        finally:
            sandbox.scratch.cleanup()
    else:
        raw = _run_cold(backend, limits, start, handle, stop, inputs, owner, extra)
    status, value, errors = _ending(raw, final, result_max_bytes)
    _count_ending(backend.name, status, raw.duration)
    return ModelOutcome(
        status=status,
        backend=backend.name,
        value=value,
        errors=errors,
        log=log,
        log_truncated=truncated,
        exit_code=raw.exit_code,
        duration=raw.duration,
    )


SANDBOX_FAILURE_REASONS = {
    "crashed": "crashed",
    "timed_out": "timed_out",
    "oom": "oom",
}
"""The run statuses that count as a sandbox failure in the metrics (a model's own error or
an oversized result is the model's doing, not the sandbox's)."""


def _run_cold(
    backend: Backend,
    limits: Limits,
    start: bytes,
    handle: Callable[[dict[str, Any]], dict[str, Any] | None],
    stop: threading.Event | None,
    inputs: Path | None,
    owner: SandboxOwner | None,
    extra: dict[str, Any],
) -> Outcome:
    """Start a sandbox for this run and run it (no warm one was ready, or none may be)."""
    with tempfile.TemporaryDirectory(prefix="sandbox-job-") as scratch:
        wrapped = dict(extra)
        if inputs is not None:
            wrapped["inputs"] = inputs
        if owner is not None:
            wrapped["owner"] = owner
        try:
            launch = backend.wrap(worker_argv(), Path(scratch), limits, **wrapped)
            return run_process(
                launch, limits, Path(scratch), handle, first_message=start, stop=stop
            )
        except Exception:
            metrics.sandbox_failed(backend.name, "start_failed")
            raise


def _count_ending(backend: str, status: RunStatus, seconds: float) -> None:
    metrics.sandbox_finished(backend, seconds)
    reason = SANDBOX_FAILURE_REASONS.get(str(status))
    if reason is not None:
        metrics.sandbox_failed(backend, reason)


def _refusal(exc: Exception) -> dict[str, Any]:
    """The reply refusing a call; the message is cut (a refusal may quote what was sent)."""
    return {"op": Op.REPLY, "ok": False, "error": _clip(exc)}


def _answer(value: Any, max_bytes: int) -> dict[str, Any]:
    """The reply carrying ``value``, or a refusal when the channel cannot carry it.

    Sending a reply the worker would refuse would end the run as a protocol error; the
    model gets a refusal it can catch instead.
    """
    reply = {"op": Op.REPLY, "ok": True, "value": value}
    try:
        encode(reply, max_bytes)
    except ChannelError as exc:
        return {
            "op": Op.REPLY,
            "ok": False,
            "error": f"the platform's answer could not be sent: {_clip(exc, 200)}",
        }
    return reply


def _ending(
    raw: Outcome, final: list[dict[str, Any]], result_max_bytes: int
) -> tuple[RunStatus, Any, list[str]]:
    """How a run ended (status, result value, errors), from the process and its last message.

    The platform's own facts come first: a stop, a limit, memory, a broken protocol; only then
    what the worker says of itself.
    """
    last = final[-1] if final else None
    error = WorkerError.from_dict(last) if last is not None and last["op"] == Op.ERROR else None
    if raw.stopped:
        return RunStatus.CANCELLED, None, []
    if raw.timed_out or raw.cpu_exceeded:
        return RunStatus.TIMED_OUT, None, []
    if raw.exit_code == OOM_EXIT_CODE or (last is not None and last.get("kind") == ErrorKind.OOM):
        return RunStatus.OOM, None, []
    if raw.protocol_error:
        return RunStatus.CRASHED, None, [_clip(f"protocol error: {raw.protocol_error}")]
    if last is not None and last["op"] == Op.RESULT and raw.exit_code == 0:
        value = last.get("value")
        try:  # the worker checks the cap, but a hostile one could write a frame itself
            encode({"op": Op.RESULT, "value": value}, result_max_bytes)
        except ChannelError:
            return RunStatus.OUTPUT_TOO_LARGE, None, []
        return RunStatus.OK, value, []
    if error is None:
        return RunStatus.CRASHED, None, []
    if error.kind is ErrorKind.COMPILE:
        errors = [_clip(e, 500) for e in error.errors[:MAX_COMPILE_ERRORS]]
        if len(error.errors) > MAX_COMPILE_ERRORS:
            errors.append(f"... and {len(error.errors) - MAX_COMPILE_ERRORS} more errors")
        return RunStatus.COMPILE_ERROR, None, errors
    if error.kind is ErrorKind.OUTPUT_TOO_LARGE:
        return RunStatus.OUTPUT_TOO_LARGE, None, []
    shown = f"Line {error.line}: {error.message}" if error.line is not None else error.message
    return RunStatus.MODEL_ERROR, None, [_clip(shown)]


def _clip(text: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Return ``str(text)`` cut to ``limit`` characters (a hostile worker picks the text)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
