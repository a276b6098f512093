"""Backends available on this machine, as a parametrised fixture.

The Docker engine is started for the session when none answers (``tests/docker_engine.py``),
so that the ``docker`` backend is tested against a real engine, never skipped for want of one.
"""

from __future__ import annotations

import pytest

from sandbox.runtime.backends import Backend, default_registry
from tests.support.docker_engine import ensure_engine

ALL_BACKENDS = default_registry().names()


@pytest.fixture(scope="session", autouse=True)
def docker_engine() -> str:
    """The Docker client, once the engine answers (started here if it did not)."""
    return ensure_engine()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    registry = default_registry()
    name = request.param
    try:
        return registry.get(name)
    except RuntimeError:
        if name == "docker":  # the engine runs (see docker_engine): a broken image is a bug
            pytest.fail("the docker backend is unavailable although the engine answers "
                        "(see the log for the runtime image build)", pytrace=False)
        pytest.skip(f"backend {name!r} is not available on this machine")


def require(backend: Backend, guarantee: str) -> None:
    """Skip when ``backend`` does not claim ``guarantee`` (documented in its module)."""
    if guarantee not in backend.enforces:
        pytest.skip(f"{backend.name} cannot enforce {guarantee!r}: see its module docstring")
