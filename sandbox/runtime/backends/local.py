"""The development-only subprocess backend: rlimits, an empty environment, a scratch cwd.

It is NOT an isolation boundary. What it cannot enforce (hence absent from ``enforces``):

* ``files``: the worker runs as the server's user and can read whatever that user can;
* ``network``: no network namespace, sockets work;
* ``processes``: ``RLIMIT_NPROC`` counts every process of the user and is ignored for root,
  so it is no dependable fork-bomb defence.

It refuses raw-access jobs (callers check ``allows_raw_access``; ``wrap`` refuses ``inputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sandbox.runtime.backends.base import Launch, Limits, SandboxOwner

__all__ = ["SubprocessBackend"]


class SubprocessBackend:
    """A plain child process under rlimits (development only)."""

    name = "subprocess"
    strength = 0
    allows_raw_access = False
    enforces = frozenset({"env", "memory", "wall_time", "cpu"})

    def is_available(self) -> bool:
        """Always available."""
        return True

    def wrap(
        self, argv: Sequence[str], scratch: Path, limits: Limits, inputs: Path | None = None,
        owner: SandboxOwner | None = None,
    ) -> Launch:
        """Run ``argv`` as it is; the limits are applied by the process runner.

        ``owner`` is not recorded: the process dies with its runner (its parent-death signal).

        Raises:
            ValueError: If ``inputs`` is given: raw-access jobs need a hardened backend.
        """
        if inputs is not None:
            raise ValueError(
                "the subprocess backend does not run raw-access jobs (it is no isolation "
                "boundary); use the docker or bwrap backend"
            )
        return Launch(list(argv))
