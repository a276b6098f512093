"""Backends available on this machine: every one as a parametrised fixture, and the strongest.

The ``docker`` backend (a ``backend`` case, or the ``strongest``) needs the Docker engine:
the session's ``docker_engine`` fixture (``tests/conftest.py``) starts it when none answers,
so that docker is tested against a real engine, never skipped for want of one. Tests that
need no backend (the compiler, the channel, the parameters) start nothing, and run in
``make test-fast``; the markers ``docker``/``bwrap`` follow from these fixtures
(``tests/support/markers.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sandbox.runtime.backends import (
    Backend,
    BwrapBackend,
    DockerBackend,
    Launch,
    Limits,
    default_registry,
)
from sandbox.runtime.profiles import RuntimeProfile

ALL_BACKENDS = default_registry().names()

SCIENTIFIC = "+scientific"
"""Suffix of a ``backend`` case that runs the scientific profile: no RestrictedPython, the
scientific root; the OS wall holds alone."""

SCIENTIFIC_BACKENDS = [
    cls.name + SCIENTIFIC
    for cls in (BwrapBackend, DockerBackend)
    if RuntimeProfile.SCIENTIFIC in cls.profiles
]
"""The backends that run the scientific profile (the subprocess backend refuses it)."""


class ScientificBackend:
    """A hardened backend whose every run is in the scientific profile: its root (or image)
    for a bare program (``run_raw``), and the worker's plain Python for a model
    (``run_attack`` passes :attr:`profile` on)."""

    profile = RuntimeProfile.SCIENTIFIC

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.strength = inner.strength
        self.enforces = inner.enforces
        self.allows_raw_access = inner.allows_raw_access
        self.profiles = inner.profiles

    def is_available(self) -> bool:
        return self.inner.is_available()

    def wrap(
        self,
        argv: Sequence[str],
        scratch: Path,
        limits: Limits,
        inputs: Path | None = None,
        owner: Any = None,
        profile: RuntimeProfile = RuntimeProfile.SCIENTIFIC,
    ) -> Launch:
        extra: dict[str, Any] = {"inputs": inputs} if inputs is not None else {}
        return self.inner.wrap(
            argv, scratch, limits, owner=owner, profile=RuntimeProfile.SCIENTIFIC, **extra
        )


@pytest.fixture(params=ALL_BACKENDS + SCIENTIFIC_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    registry = default_registry()
    name, scientific = request.param.removesuffix(SCIENTIFIC), request.param.endswith(SCIENTIFIC)
    if scientific:
        inner = backend_named(request, registry, name)
        return ScientificBackend(inner)
    return backend_named(request, registry, name)


def backend_named(request: pytest.FixtureRequest, registry: Any, name: str) -> Backend:
    """The backend ``name`` of ``registry``, the docker engine started for it, or a skip."""
    if name == "docker":
        request.getfixturevalue("docker_engine")
    try:
        return registry.get(name)
    except RuntimeError:
        if name == "docker":  # the engine runs (see docker_engine): a broken image is a bug
            pytest.fail(
                "the docker backend is unavailable although the engine answers "
                "(see the log for the runtime image build)",
                pytrace=False,
            )
        pytest.skip(f"backend {name!r} is not available on this machine")


WALLED = ["docker", *SCIENTIFIC_BACKENDS]
"""The cases of :func:`walled`: the strongest backend (docker) in the restricted profile, then
each hardened backend in the scientific profile."""


@pytest.fixture(params=WALLED)
def walled(request: pytest.FixtureRequest) -> Backend:
    """An attack that needs one backend per profile: the strongest in the restricted profile
    (RestrictedPython and the OS sandbox), and bwrap and docker in the scientific profile
    (ordinary CPython: the OS sandbox and the trusted side's handling of the channel alone).

    Use it for attacks that are about the channel, the trusted side's caps or the OS, not
    about RestrictedPython's syntax; :func:`is_scientific` tells a test which wall it faces.
    """
    registry = default_registry()
    name = request.param.removesuffix(SCIENTIFIC)
    inner = backend_named(request, registry, name)
    return ScientificBackend(inner) if request.param.endswith(SCIENTIFIC) else inner


@pytest.fixture(params=SCIENTIFIC_BACKENDS)
def scientific(request: pytest.FixtureRequest) -> Backend:
    """Each hardened backend in the scientific profile: for attacks a scientific model makes
    with the capabilities ordinary CPython gives it (ctypes, ``os.fork``, sockets, ``/proc``,
    signals, numpy), which RestrictedPython would refuse before they ran."""
    name = request.param.removesuffix(SCIENTIFIC)
    return ScientificBackend(backend_named(request, default_registry(), name))


def is_scientific(backend: Backend) -> bool:
    """Whether ``backend`` is a scientific case (no Python-level jail around the model)."""
    return getattr(backend, "profile", None) is RuntimeProfile.SCIENTIFIC


@pytest.fixture(scope="module")
def strongest(docker_engine: str) -> Backend:
    """The strongest backend here (docker, once its engine answers): attacks at the Python
    level and end-to-end model runs need only one backend, and run in this one."""
    return default_registry().strongest()


def require(backend: Backend, guarantee: str) -> None:
    """Skip when ``backend`` does not claim ``guarantee`` (documented in its module)."""
    if guarantee not in backend.enforces:
        pytest.skip(f"{backend.name} cannot enforce {guarantee!r}: see its module docstring")
