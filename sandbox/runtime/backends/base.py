"""What every backend shares: the limits, the outcome, the protocol and the process runner.

A backend only decides *how* a command is wrapped (``wrap``) and what it can enforce
(``enforces``). :func:`run_process` starts the wrapped command with rlimits, an empty
environment and a scratch cwd, relays framed channel messages to a handler, and kills the whole
process group at the wall-time deadline. It never blocks without a deadline.

Every launched process gets ``PR_SET_PDEATHSIG=SIGKILL``: when the trusted runner dies (a Ray
worker killed on cancel, say), the kernel kills the sandbox too, although
``start_new_session`` took it out of the runner's process group. The signal follows the
*thread* that started the child, which is why :func:`run_process` is synchronous: that thread
lives until the child is gone.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import resource
import secrets
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sandbox.runtime.backends.values import (
    Cleanup,
    Launch,
    Limits,
    Outcome,
    OwnedSandbox,
    SandboxOwner,
)
from sandbox.runtime.channel import ChannelError, FrameDecoder, encode
from sandbox.runtime.profiles import RuntimeProfile

__all__ = [
    "GUARANTEES",
    "INPUTS_MOUNT",
    "Backend",
    "Launch",
    "Limits",
    "MessageHandler",
    "Outcome",
    "OwnedSandbox",
    "SandboxOwner",
    "SandboxReaper",
    "WARM_IDLE_SECONDS",
    "discard_process",
    "drive_process",
    "run_process",
    "start_process",
    "unprivileged_uid",
]

GUARANTEES = frozenset({"env", "files", "network", "processes", "memory", "wall_time", "cpu"})
"""Names of the OS-level guarantees a backend may claim in ``enforces``."""

MAX_KEPT_MESSAGES = 1000
"""Channel messages an :class:`Outcome` keeps (the handler sees every one)."""

WARM_IDLE_SECONDS = 30.0
"""How long a sandbox started ahead of demand waits for its run before it is discarded
(:mod:`sandbox.runtime.warm`); a backend with its own alarm adds it, so that a sandbox that
waited still gives its run the whole wall time."""

STOP_POLL_SECONDS = 0.1
"""How often the runner looks at its ``stop`` event while the process is quiet."""

INPUTS_MOUNT = "/inputs"
"""Where a backend exposes a run's ``inputs`` directory, read-only, inside the sandbox."""

CLEANUP_TIMEOUT = 30.0
"""Seconds a :attr:`Launch.cleanup` command may take."""

log = logging.getLogger(__name__)

MessageHandler = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""Called with each channel message; a returned message is written back to the worker."""


@runtime_checkable
class SandboxReaper(Protocol):
    """A backend whose sandboxes can outlive their runner, and which can find them.

    ``docker`` is one: killing the ``docker run`` client leaves its container running.
    ``bwrap`` and ``subprocess`` are not: their sandboxes die with their runner.
    """

    def owned_sandboxes(self, instance: str) -> list[OwnedSandbox]:
        """Every sandbox of ``instance`` there is (running or not); empty when the
        backend cannot be asked.
        """
        ...

    def remove_sandboxes(self, sandboxes: Sequence[OwnedSandbox]) -> list[str]:
        """Remove ``sandboxes`` at once (killing what runs); return the names removed."""
        ...


@runtime_checkable
class Backend(Protocol):
    """An isolation backend: how to wrap a command, and what it can enforce."""

    name: str
    strength: int
    enforces: frozenset[str]
    allows_raw_access: bool
    """Whether raw-access jobs (which read dataset rows from ``inputs``) may run in it."""
    profiles: frozenset[RuntimeProfile]
    """The runtime profiles it runs (the scientific one only where the OS wall holds)."""

    def is_available(self) -> bool:
        """Whether the backend works on this machine."""
        ...

    def wrap(
        self,
        argv: Sequence[str],
        scratch: Path,
        limits: Limits,
        inputs: Path | None = None,
        owner: SandboxOwner | None = None,
        profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
    ) -> Launch:
        """Return the launch that runs ``argv`` inside the sandbox.

        Args:
            argv: The host command (``[sys.executable, "-I", ...]``).
            scratch: An empty per-run directory (the runner's cwd).
            limits: Resource limits.
            inputs: A host directory to expose read-only at :data:`INPUTS_MOUNT`
                (raw-access jobs); a backend that does not allow raw access refuses it
                with :class:`ValueError`.
            owner: Who the sandbox runs for; a :class:`SandboxReaper` labels its sandbox
                with it, the others need not (their sandboxes die with the runner).
            profile: The runtime profile, whose root (or image) the sandbox runs; a backend
                refuses one not in its ``profiles`` with :class:`ValueError`.
        """
        ...


_PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """Return libc's ``prctl``, looked up in the parent (the child must not load anything)."""
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


def _preexec(limits: Limits, host_rlimits: bool, run_as: int | None) -> Callable[[], None]:
    prctl = _prctl()
    parent = os.getpid()

    def follow_parent() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the runner died before the line above: follow it
                os._exit(1)

    def apply() -> None:
        follow_parent()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if host_rlimits:
            cpu = limits.cpu_seconds
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
            resource.setrlimit(
                resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes)
            )
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (limits.max_open_files, limits.max_open_files)
            )
        if run_as is not None:
            os.setgroups([])
            os.setresgid(run_as, run_as, run_as)
            os.setresuid(run_as, run_as, run_as)
            follow_parent()  # a change of credentials clears the parent-death signal

    return apply


UNPRIVILEGED_UIDS = range(200_000, 300_000)
"""Host uids a sandbox runs as when the runner is root: no account has them, and each run
draws its own, so concurrent sandboxes never share a uid (nor its process count)."""


def unprivileged_uid(scratch: Path) -> int | None:
    """A fresh unprivileged uid for one run when the runner is root (``None`` otherwise);
    ``scratch`` is handed to it, since the process starts there.
    """
    if os.geteuid() != 0:
        return None
    uid = UNPRIVILEGED_UIDS.start + secrets.randbelow(len(UNPRIVILEGED_UIDS))
    os.chown(scratch, uid, uid)
    return uid


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
        preexec_fn=_preexec(limits, launch.host_rlimits, launch.run_as),  # noqa: PLW1509 - set in the child
    )


def _run_cleanup(cleanup: Cleanup) -> None:
    """Run a launch's cleanup; it must not turn a finished run into an exception."""
    if callable(cleanup):
        try:
            cleanup()
        except Exception:
            log.exception("sandbox cleanup failed")
        return
    try:
        done = subprocess.run(  # noqa: S603 - argv is built by a backend, never by a user
            list(cleanup), capture_output=True, env={}, timeout=CLEANUP_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("sandbox cleanup %s failed: %s", list(cleanup), exc)
        return
    if done.returncode != 0:
        log.debug("sandbox cleanup %s: %s", list(cleanup), done.stderr[-500:])


def start_process(launch: Launch, limits: Limits, scratch: Path) -> subprocess.Popen[bytes]:
    """Start a (wrapped) command under the limits; the descriptors it inherits are closed here.

    The child follows the *calling thread* (``PR_SET_PDEATHSIG``): start it from a thread
    that lives as long as the child may (:func:`run_process`'s, or a warm pool's launcher).
    """
    try:
        return _start(launch, limits, scratch)
    finally:
        for fd in launch.pass_fds:
            os.close(fd)


def discard_process(proc: subprocess.Popen[bytes], launch: Launch) -> None:
    """Kill a started process that will not be run (a warm sandbox no job took) and run its
    launch's cleanup (a container's ``docker rm``).
    """
    _kill_group(proc)
    try:
        proc.wait(timeout=CLEANUP_TIMEOUT)
    except subprocess.TimeoutExpired:
        log.warning("a discarded sandbox did not stop within %s s", CLEANUP_TIMEOUT)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    if launch.cleanup is not None:
        _run_cleanup(launch.cleanup)


def run_process(
    launch: Launch,
    limits: Limits,
    scratch: Path,
    handler: MessageHandler | None = None,
    first_message: bytes | None = None,
    stop: threading.Event | None = None,
) -> Outcome:
    """Run a (wrapped) command to completion under the limits.

    Args:
        launch: The command, already wrapped by a backend.
        limits: Resource limits.
        scratch: The working directory (an empty, per-run directory).
        handler: Channel handler; when ``None`` stdout is captured raw instead.
        first_message: A frame written to the worker's stdin before anything else.
        stop: Set by the trusted side to stop the run early (a cancel): the process group
            is killed within :data:`STOP_POLL_SECONDS` and ``stopped`` is set.

    Returns:
        The :class:`Outcome`.
    """
    started = time.monotonic()
    proc = start_process(launch, limits, scratch)
    return drive_process(proc, launch, limits, handler, first_message, stop, started=started)


def drive_process(
    proc: subprocess.Popen[bytes],
    launch: Launch,
    limits: Limits,
    handler: MessageHandler | None = None,
    first_message: bytes | None = None,
    stop: threading.Event | None = None,
    *,
    started: float | None = None,
) -> Outcome:
    """Run a started process (:func:`start_process`) to its end, as :func:`run_process` does.

    The wall-time deadline counts from ``started`` (default: now): for a sandbox started
    ahead of demand (:mod:`sandbox.runtime.warm`), from when its run was handed to it.
    """
    started = time.monotonic() if started is None else started
    deadline = started + limits.wall_seconds
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    outcome = Outcome(exit_code=None, timed_out=False, duration=0.0)
    decoder = FrameDecoder(limits.max_message_bytes)
    stdout, stderr = bytearray(), bytearray()
    open_fds = {proc.stdout.fileno(), proc.stderr.fileno()}
    stdin_fd = proc.stdin.fileno()
    # Replies go out without ever blocking: a worker that stops reading its stdin must not
    # stall the runner past the deadline. What it leaves unread waits in ``outbox``, bounded.
    os.set_blocking(stdin_fd, False)
    outbox = bytearray(first_message or b"")
    outbox_limit = 4 * limits.max_message_bytes + len(outbox)
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                outcome.timed_out = True
                _kill_group(proc)
                break
            if stop is not None and stop.is_set():
                outcome.stopped = True
                _kill_group(proc)
                break
            writing = [stdin_fd] if outbox else []
            ready, writable, _ = select.select(
                list(open_fds), writing, [], min(left, STOP_POLL_SECONDS)
            )
            if writable:
                try:
                    del outbox[: os.write(stdin_fd, outbox[:65536])]
                except BlockingIOError:
                    pass
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
                        if len(outcome.messages) < MAX_KEPT_MESSAGES:
                            outcome.messages.append(message)
                        reply = handler(message)
                        if reply is not None:
                            outbox.extend(encode(reply, limits.max_message_bytes))
                            if len(outbox) > outbox_limit:
                                raise ChannelError("the worker stopped reading its replies")
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
        killed = outcome.timed_out or outcome.stopped or outcome.protocol_error is not None
        if launch.cleanup is not None and (killed or proc.returncode != 0):
            _run_cleanup(launch.cleanup)
    outcome.exit_code = proc.returncode
    outcome.duration = time.monotonic() - started
    outcome.stdout, outcome.stderr = bytes(stdout), bytes(stderr)
    return outcome
