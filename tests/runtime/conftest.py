"""Backends available on this machine: every one as a parametrised fixture, and the strongest.

The ``docker`` backend (a ``backend`` case, or the ``strongest``) needs the Docker engine:
the session's ``docker_engine`` fixture (``tests/conftest.py``) starts it when none answers,
so that docker is tested against a real engine, never skipped for want of one. Tests that
need no backend (the compiler, the channel, the parameters) start nothing, and run in
``make test-fast``; the markers ``docker``/``bwrap`` follow from these fixtures
(``tests/support/markers.py``).
"""

from __future__ import annotations

import pytest

from sandbox.runtime.backends import Backend, default_registry

ALL_BACKENDS = default_registry().names()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    registry = default_registry()
    name = request.param
    if name == "docker":
        request.getfixturevalue("docker_engine")
    try:
        return registry.get(name)
    except RuntimeError:
        if name == "docker":  # the engine runs (see docker_engine): a broken image is a bug
            pytest.fail("the docker backend is unavailable although the engine answers "
                        "(see the log for the runtime image build)", pytrace=False)
        pytest.skip(f"backend {name!r} is not available on this machine")


@pytest.fixture(scope="module")
def strongest(docker_engine: str) -> Backend:
    """The strongest backend here (docker, once its engine answers): attacks at the Python
    level and end-to-end model runs need only one backend, and run in this one."""
    return default_registry().strongest()


def require(backend: Backend, guarantee: str) -> None:
    """Skip when ``backend`` does not claim ``guarantee`` (documented in its module)."""
    if guarantee not in backend.enforces:
        pytest.skip(f"{backend.name} cannot enforce {guarantee!r}: see its module docstring")
