"""The bubblewrap backend: every namespace unshared, a read-only minimal root, no network.

The sandbox sees only what Python needs, read-only: ``/usr`` (and the merged-``/usr``
symlinks), the Python installation, the virtualenv and the ``sandbox.runtime`` package files.
There is no ``/etc``, no home, no dataset file and no host ``/tmp`` (a fresh tmpfs instead).
``--die-with-parent`` ties it to the trusted runner, which kills it at the wall-time deadline.

A seccomp filter (:mod:`~sandbox.runtime.backends.seccomp`) denies creating processes and
the kernel surfaces a model never needs; it is what stops a fork bomb, because
``RLIMIT_NPROC`` is ignored for root. Without a filter for the architecture, ``processes`` is
not claimed. A pids cgroup is still to come (TODO(#4)).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sandbox.runtime.backends import seccomp
from sandbox.runtime.backends.base import Launch, Limits

__all__ = ["BwrapBackend"]

_ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")


def _runtime_binds() -> list[Path]:
    """Return the files of the ``sandbox`` package the worker needs, nothing else of it."""
    runtime_dir = Path(__file__).resolve().parent.parent
    package_init = runtime_dir.parent / "__init__.py"
    return [package_init, runtime_dir]


class BwrapBackend:
    """Bubblewrap namespaces on any Linux host (with user namespaces)."""

    name = "bwrap"
    strength = 10
    allows_raw_access = True
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

    def wrap(self, argv: Sequence[str], scratch: Path, limits: Limits) -> Launch:
        """Return the bwrap command line around ``argv`` (with the seccomp filter's fd)."""
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
            "/usr",
            "/usr",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            # The private /tmp comes before the binds below, so that a checkout or venv
            # that lives under the host's /tmp is bound on top of it, not hidden by it.
            "--tmpfs",
            "/tmp",  # noqa: S108 - a private tmpfs inside the sandbox
        ]
        for link in _ROOT_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        prefixes = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
        for prefix in sorted(prefixes):
            if not str(prefix).startswith("/usr/"):
                args += ["--ro-bind", str(prefix), str(prefix)]
        for path in _runtime_binds():
            args += ["--ro-bind", str(path), str(path)]
        args += ["--chdir", "/tmp"]  # noqa: S108
        pass_fds: tuple[int, ...] = ()
        if seccomp.supported():
            read_fd, write_fd = os.pipe()
            program = seccomp.filter_program()
            os.write(write_fd, program)  # a few hundred bytes: fits the pipe buffer
            os.close(write_fd)
            args += ["--seccomp", str(read_fd)]
            pass_fds = (read_fd,)
        return Launch(args + ["--"] + list(argv), pass_fds)
