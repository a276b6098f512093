"""The value types every backend and the process runner share: a run's limits, how it
ended, the wrapped command, and who a sandbox runs for (re-exported by
:mod:`sandbox.runtime.backends.base`).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Cleanup", "Launch", "Limits", "Outcome", "OwnedSandbox", "SandboxOwner"]


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
        cpus: CPU cores the sandbox may use at once (enforced by ``docker --cpus``; the
            other backends bound CPU time only, through ``cpu_seconds``).
    """

    wall_seconds: float = 30.0
    cpu_seconds: int = 20
    memory_bytes: int = 512 * 1024 * 1024
    max_processes: int = 32
    max_file_bytes: int = 1024 * 1024
    max_open_files: int = 64
    max_output_bytes: int = 64 * 1024
    max_message_bytes: int = 1024 * 1024
    cpus: float = 1.0


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
    stopped: bool = False
    """The trusted side stopped it (``stop`` was set)."""

    @property
    def cpu_exceeded(self) -> bool:
        """Whether the CPU rlimit stopped it (SIGXCPU; bwrap and docker report 128 + signal)."""
        codes = {-signal.SIGXCPU, 128 + signal.SIGXCPU}
        return not self.timed_out and self.exit_code in codes


Cleanup = Sequence[str] | Callable[[], None]
"""A command line to run, or a callable to call, after a launch that did not end cleanly."""


@dataclass(frozen=True)
class Launch:
    """A wrapped command line and the file descriptors it inherits (closed after start).

    Attributes:
        argv: The full command line.
        pass_fds: Descriptors the child inherits; :func:`run_process` closes them once
            the child started.
        host_rlimits: Whether :func:`run_process` sets the :class:`Limits` rlimits on the
            launched process. ``False`` when that process is only a client (``docker run``)
            and the backend applies the limits to the real sandbox itself; such a client
            may not even start under the sandbox's address-space limit.
        run_as: See the attribute.
        cleanup: Run once the process has ended, when it was killed (wall time, protocol
            error) or exited with a non-zero status: whatever the launch left behind that
            killing its process group does not reach (``docker rm -f <container>``: killing
            the docker CLI leaves the container running). A command gets
            :data:`~sandbox.runtime.backends.base.CLEANUP_TIMEOUT` seconds and an empty
            environment; failures are logged.
    """

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    host_rlimits: bool = True
    cleanup: Cleanup | None = None
    run_as: int | None = None
    """An unprivileged host uid (and gid) the launched process switches to before it
    execs, when the runner is root: then nothing inside is root on the host, and
    ``RLIMIT_NPROC`` (counted per uid) applies."""


@dataclass(frozen=True)
class SandboxOwner:
    """Who a sandbox runs for, labelled on it where the backend can (docker).

    A runner killed with ``SIGKILL`` cannot clean up after itself; the labels let the
    platform find what it left (:func:`~sandbox.runtime.backends.orphans.reap_orphans`).

    Attributes:
        instance: The platform instance (one database) whose job it is: another platform
            sharing the engine never touches it.
        job_id: The job's id in that database; ``None`` for a sandbox started ahead of
            demand (:mod:`sandbox.runtime.warm`), which has no job yet.
    """

    instance: str
    job_id: int | None


@dataclass(frozen=True)
class OwnedSandbox:
    """A sandbox a backend found labelled with a platform instance.

    Attributes:
        name: The backend's name for it (a container's name).
        job_id: The job it runs for, ``None`` when its label is not a job id.
        waiting: Started ahead of demand and not yet given a job: it holds nothing, and
            ends by its own alarm (:data:`WARM_IDLE_SECONDS` after its wall time).
    """

    name: str
    job_id: int | None
    waiting: bool = False
