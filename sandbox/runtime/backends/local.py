"""The development-only subprocess backend: rlimits, an empty environment, a scratch cwd.

It is NOT an isolation boundary. What it cannot enforce (hence absent from ``enforces``):

* ``files``: the worker runs as the server's user and can read whatever that user can;
* ``network``: no network namespace, sockets work;
* ``processes``: ``RLIMIT_NPROC`` counts every process of the user and is ignored for root,
  so it is no dependable fork-bomb defence.

It refuses raw-access jobs (callers check ``allows_raw_access``; ``wrap`` refuses ``inputs``)
and the scientific profile (``profiles``), whose only wall is the OS sandbox this lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sandbox.runtime.backends.base import Launch, Limits, SandboxOwner
from sandbox.runtime.profiles import RuntimeProfile

__all__ = ["SubprocessBackend"]


class SubprocessBackend:
    """A plain child process under rlimits (development only)."""

    name = "subprocess"
    strength = 0
    allows_raw_access = False
    profiles = frozenset({RuntimeProfile.RESTRICTED})
    enforces = frozenset({"env", "memory", "wall_time", "cpu"})

    def is_available(self) -> bool:
        """Always available."""
        return True

    def wrap(
        self,
        argv: Sequence[str],
        scratch: Path,
        limits: Limits,
        inputs: Path | None = None,
        owner: SandboxOwner | None = None,
        profile: RuntimeProfile = RuntimeProfile.RESTRICTED,
    ) -> Launch:
        """Run ``argv`` as it is; the limits are applied by the process runner.

        ``owner`` is not recorded: the process dies with its runner (its parent-death signal).

        Raises:
            ValueError: If ``inputs`` is given or ``profile`` is not restricted: raw-access
                jobs and the scientific profile need a hardened backend.
        """
        if profile not in self.profiles:
            raise ValueError(
                f"the subprocess backend does not run the {profile} profile (it is no "
                "isolation boundary); use the docker or bwrap backend"
            )
        if inputs is not None:
            raise ValueError(
                "the subprocess backend does not run raw-access jobs (it is no isolation "
                "boundary); use the docker or bwrap backend"
            )
        return Launch(list(argv))
