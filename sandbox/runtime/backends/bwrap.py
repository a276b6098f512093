"""The bubblewrap backend: every namespace unshared, a read-only minimal root, no network.

The sandbox's root is the runtime's root filesystem, read-only: the same interpreter,
standard library, packages and ``sandbox.runtime`` sources as the docker backend's image,
staged once on the host (:func:`sandbox.runtime.rootfs.staged_root`). Nothing of the host's
``/usr``, ``/etc``, home or checkout is visible, no dataset file, no host ``/tmp`` (a fresh
tmpfs instead);
a raw-access job's inputs directory is bound read-only at ``/inputs``.
``--die-with-parent`` ties it to the trusted runner, which kills it at the wall-time deadline:
the runner killed, bwrap gets its parent-death signal, and the sandbox bwrap's; nothing of it
outlives the runner, so unlike docker's containers it needs no reaping.

A runner that is root never starts bwrap as root: the process switches to a fresh
unprivileged host uid first (:func:`~sandbox.runtime.backends.base.unprivileged_uid`), so
the sandbox's uid 65534 maps to that uid, not to host root (as root, bwrap would map it to
uid 0, and ``/proc/sys`` and the host's keyrings would be within reach), and
``RLIMIT_NPROC`` (counted per uid) bounds its processes and threads. A seccomp filter
(:mod:`~sandbox.runtime.backends.seccomp`) denies creating processes and the kernel surfaces
a model never needs. Without a filter for the architecture, ``processes`` is not claimed.
The private ``/tmp`` is a tmpfs of :data:`TMPFS_BYTES`.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from sandbox.runtime import manifest, rootfs
from sandbox.runtime.backends import seccomp
from sandbox.runtime.backends.base import (
    INPUTS_MOUNT,
    Launch,
    Limits,
    SandboxOwner,
    unprivileged_uid,
)
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["BwrapBackend"]

TMPFS_BYTES = 64 * 1024 * 1024
"""Size of the sandbox's private ``/tmp`` (the docker backend's is the same)."""


class BwrapBackend:
    """Bubblewrap namespaces on any Linux host (with user namespaces)."""

    name = "bwrap"
    strength = 10
    allows_raw_access = True
    profiles = frozenset(RuntimeProfile)
    enforces = frozenset({"env", "files", "network", "memory", "wall_time", "cpu"}) | (
        {"processes"} if seccomp.supported() else set()
    )

    def __init__(self, executable: str = "bwrap") -> None:
        self.executable = executable

    @functools.cache  # noqa: B019 - backends are few, long-lived singletons
    def is_available(self) -> bool:
        """Whether ``bwrap`` runs here with all namespaces unshared."""
        path = shutil.which(self.executable)
        if path is None:
            return False
        probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=10, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0

    def wrap(
        self,
        argv: Sequence[str],
        scratch: Path,
        limits: Limits,
        inputs: Path | None = None,
        owner: SandboxOwner | None = None,
        profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
    ) -> Launch:
        """Return the bwrap command line around ``argv`` (with the seccomp filter's fd).

        The root is ``profile``'s (:func:`~sandbox.runtime.rootfs.staged_root`).
        ``inputs`` (raw-access jobs) is bound read-only at :data:`INPUTS_MOUNT`. ``owner``
        is not recorded: the sandbox cannot outlive its runner, which it follows by the
        parent-death signal (bwrap's, then ``--die-with-parent``), so nothing is left to find.
        """
        root = rootfs.staged_root(RuntimeProfile(profile))
        if not argv or not Path(argv[0]).name.startswith("python"):
            raise ValueError(
                "the bwrap backend runs the runtime's Python; argv[0] must be a Python interpreter"
            )
        argv = [manifest.IMAGE_PYTHON, *argv[1:]]
        args = [
            shutil.which(self.executable) or self.executable,
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--cap-drop",
            "ALL",
            "--uid",
            "65534",
            "--gid",
            "65534",
            "--hostname",
            "sandbox",
            "--ro-bind",
            str(root),
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(TMPFS_BYTES),
            "--tmpfs",
            "/tmp",  # noqa: S108 - a private tmpfs inside the sandbox
        ]
        if inputs is not None:
            if not inputs.is_dir():
                raise ValueError(f"the inputs directory {inputs} does not exist")
            args += ["--ro-bind", str(inputs.resolve()), INPUTS_MOUNT]
        args += ["--chdir", "/tmp"]  # noqa: S108
        pass_fds: tuple[int, ...] = ()
        if seccomp.supported():
            read_fd, write_fd = os.pipe()
            program = seccomp.filter_program()
            os.write(write_fd, program)  # a few hundred bytes: fits the pipe buffer
            os.close(write_fd)
            args += ["--seccomp", str(read_fd)]
            pass_fds = (read_fd,)
        return Launch(args + ["--"] + list(argv), pass_fds, run_as=unprivileged_uid(scratch))
