"""What every backend shares: the limits, the outcome, the protocol and the process runner.

A backend only decides *how* a command is wrapped (``wrap``) and what it can enforce
(``enforces``). :func:`run_process` starts the wrapped command with rlimits, an empty
environment and a scratch cwd, relays framed channel messages to a handler, and kills the whole
process group at the wall-time deadline. It never blocks without a deadline.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sandbox.runtime.channel import ChannelError, FrameDecoder, encode

__all__ = [
    "GUARANTEES",
    "Backend",
    "Launch",
    "Limits",
    "MessageHandler",
    "Outcome",
    "run_process",
]

GUARANTEES = frozenset({"env", "files", "network", "processes", "memory", "wall_time", "cpu"})
"""Names of the OS-level guarantees a backend may claim in ``enforces``."""

MessageHandler = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""Called with each channel message; a returned message is written back to the worker."""


@dataclass(frozen=True)
class Limits:
    """Secure-by-default resource limits of one run (loosening must be explicit).

    Attributes:
        wall_seconds: Wall-clock time before the process group is killed.
        cpu_seconds: RLIMIT_CPU soft limit; the hard limit is one second more.
        memory_bytes: RLIMIT_AS (address space).
        max_processes: RLIMIT_NPROC (only enforced for a non-root uid).
        max_file_bytes: RLIMIT_FSIZE.
        max_open_files: RLIMIT_NOFILE.
        max_output_bytes: Captured stderr / raw stdout kept, per stream.
        max_message_bytes: Largest channel message accepted.
    """

    wall_seconds: float = 30.0
    cpu_seconds: int = 20
    memory_bytes: int = 512 * 1024 * 1024
    max_processes: int = 32
    max_file_bytes: int = 1024 * 1024
    max_open_files: int = 64
    max_output_bytes: int = 64 * 1024
    max_message_bytes: int = 1024 * 1024


@dataclass
class Outcome:
    """How a run ended, with failure kinds told apart.

    Attributes:
        exit_code: The process exit status (negative: killed by that signal).
        timed_out: The wall-time deadline killed it.
        duration: Seconds from start to exit.
        stdout: Raw stdout (only when no message handler was given), capped.
        stderr: Stderr, capped.
        protocol_error: Set when the worker broke the channel protocol.
    """

    exit_code: int | None
    timed_out: bool
    duration: float
    stdout: bytes = b""
    stderr: bytes = b""
    protocol_error: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cpu_exceeded(self) -> bool:
        """Whether the CPU rlimit stopped it (SIGXCPU; bwrap reports 128 + signal)."""
        codes = {-signal.SIGXCPU, 128 + signal.SIGXCPU}
        return not self.timed_out and self.exit_code in codes


@dataclass(frozen=True)
class Launch:
    """A wrapped command line and the file descriptors it inherits (closed after start).

    Attributes:
        argv: The full command line.
        pass_fds: Descriptors the child inherits; :func:`run_process` closes them once
            the child started.
    """

    argv: list[str]
    pass_fds: tuple[int, ...] = ()


@runtime_checkable
class Backend(Protocol):
    """An isolation backend: how to wrap a command, and what it can enforce."""

    name: str
    strength: int
    enforces: frozenset[str]

    def is_available(self) -> bool:
        """Whether the backend works on this machine."""
        ...

    def wrap(self, argv: Sequence[str], scratch: Path, limits: Limits) -> Launch:
        """Return the launch that runs ``argv`` inside the sandbox."""
        ...


def _preexec(limits: Limits) -> Callable[[], None]:
    def apply() -> None:
        cpu = limits.cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _start(launch: Launch, limits: Limits, scratch: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - argv is built by a backend, never by a user
        launch.argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=scratch,
        env={},
        close_fds=True,
        pass_fds=launch.pass_fds,
        start_new_session=True,
        preexec_fn=_preexec(limits),  # noqa: PLW1509 - rlimits must be set in the child
    )


def run_process(
    launch: Launch,
    limits: Limits,
    scratch: Path,
    handler: MessageHandler | None = None,
    first_message: bytes | None = None,
) -> Outcome:
    """Run a (wrapped) command to completion under the limits.

    Args:
        launch: The command, already wrapped by a backend.
        limits: Resource limits.
        scratch: The working directory (an empty, per-run directory).
        handler: Channel handler; when ``None`` stdout is captured raw instead.
        first_message: A frame written to the worker's stdin before anything else.

    Returns:
        The :class:`Outcome`.
    """
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    try:
        proc = _start(launch, limits, scratch)
    finally:
        for fd in launch.pass_fds:
            os.close(fd)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    outcome = Outcome(exit_code=None, timed_out=False, duration=0.0)
    decoder = FrameDecoder(limits.max_message_bytes)
    stdout, stderr = bytearray(), bytearray()
    open_fds = {proc.stdout.fileno(), proc.stderr.fileno()}
    stdin_fd = proc.stdin.fileno()
    try:
        if first_message is not None:
            os.write(stdin_fd, first_message)
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                outcome.timed_out = True
                _kill_group(proc)
                break
            ready, _, _ = select.select(list(open_fds), [], [], min(left, 0.5))
            for fd in ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    open_fds.discard(fd)
                elif fd == proc.stderr.fileno():
                    stderr.extend(chunk[: max(0, limits.max_output_bytes - len(stderr))])
                elif handler is None:
                    stdout.extend(chunk[: max(0, limits.max_output_bytes - len(stdout))])
                else:
                    for message in decoder.feed(chunk):
                        outcome.messages.append(message)
                        reply = handler(message)
                        if reply is not None:
                            os.write(stdin_fd, encode(reply, limits.max_message_bytes))
        if handler is not None and decoder.pending and not outcome.timed_out:
            outcome.protocol_error = "truncated message"
    except ChannelError as exc:
        outcome.protocol_error = str(exc)
        _kill_group(proc)
    except (BrokenPipeError, OSError) as exc:
        outcome.protocol_error = f"channel closed: {exc}"
        _kill_group(proc)
    finally:
        try:
            left = max(0.1, deadline - time.monotonic())
            proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
            _kill_group(proc)
            proc.wait()
        _kill_group(proc)  # reap stragglers left in the group
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    outcome.exit_code = proc.returncode
    outcome.duration = time.monotonic() - started
    outcome.stdout, outcome.stderr = bytes(stdout), bytes(stderr)
    return outcome
