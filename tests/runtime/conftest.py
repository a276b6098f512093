"""Backends available on this machine, as a parametrised fixture."""

from __future__ import annotations

import pytest

from sandbox.runtime.backends import Backend, default_registry

ALL_BACKENDS = default_registry().names()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    registry = default_registry()
    name = request.param
    try:
        return registry.get(name)
    except RuntimeError:
        pytest.skip(f"backend {name!r} is not available on this machine")


def require(backend: Backend, guarantee: str) -> None:
    """Skip when ``backend`` does not claim ``guarantee`` (documented in its module)."""
    if guarantee not in backend.enforces:
        pytest.skip(f"{backend.name} cannot enforce {guarantee!r}: see its module docstring")
