"""Isolation backends and the registry that picks one by name.

:mod:`~sandbox.runtime.backends.base` holds the shared :class:`Limits`, :class:`Outcome`,
:class:`Backend` protocol and process runner. Implementations, strongest first:
:mod:`~sandbox.runtime.backends.docker` (a container per run from the locally built runtime
image), :mod:`~sandbox.runtime.backends.bwrap` (bubblewrap namespaces on any Linux host) and
:mod:`~sandbox.runtime.backends.local` (a plain subprocess, development only). Unless
configured otherwise the platform runs the strongest one available.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.runtime.backends.base import (
    GUARANTEES,
    Backend,
    Launch,
    Limits,
    Outcome,
    OwnedSandbox,
    SandboxOwner,
    SandboxReaper,
    run_process,
)
from sandbox.runtime.backends.bwrap import BwrapBackend
from sandbox.runtime.backends.docker import DockerBackend
from sandbox.runtime.backends.local import SubprocessBackend
from sandbox.runtime.backends.orphans import reap_orphans

__all__ = [
    "GUARANTEES",
    "Backend",
    "BackendRegistry",
    "BwrapBackend",
    "DockerBackend",
    "Launch",
    "Limits",
    "Outcome",
    "OwnedSandbox",
    "SandboxOwner",
    "SandboxReaper",
    "SubprocessBackend",
    "default_registry",
    "reap_orphans",
    "run_process",
]


class BackendRegistry:
    """Backends by name; duplicate names are rejected."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Backend]] = {}

    def register(self, name: str, factory: Callable[[], Backend]) -> None:
        """Register a backend factory under ``name``.

        Raises:
            ValueError: If the name is taken.
        """
        if name in self._factories:
            raise ValueError(f"backend {name!r} is already registered")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Return the registered names."""
        return sorted(self._factories)

    def get(self, name: str) -> Backend:
        """Return the backend called ``name`` if it is available here.

        Raises:
            KeyError: If no backend has that name.
            RuntimeError: If it is not available on this machine.
        """
        backend = self._factories[name]()
        if not backend.is_available():
            raise RuntimeError(f"backend {name!r} is not available on this machine")
        return backend

    def available(self) -> list[Backend]:
        """Return the available backends, strongest first."""
        found = [f() for f in self._factories.values()]
        return sorted(
            (b for b in found if b.is_available()), key=lambda b: b.strength, reverse=True
        )

    def reapers(self) -> list[SandboxReaper]:
        """The registered backends whose sandboxes can outlive their runner, available or
        not (asking one for its sandboxes needs no image, nor a probe).
        """
        return [b for f in self._factories.values() if isinstance(b := f(), SandboxReaper)]

    def strongest(self) -> Backend:
        """Return the strongest available backend."""
        return self.available()[0]


_BWRAP = BwrapBackend()
_DOCKER = DockerBackend()  # one per process: it remembers its engine check and image


def default_registry() -> BackendRegistry:
    """Return a registry with the built-in backends."""
    registry = BackendRegistry()
    registry.register("docker", lambda: _DOCKER)
    registry.register("bwrap", lambda: _BWRAP)
    registry.register("subprocess", SubprocessBackend)
    return registry
