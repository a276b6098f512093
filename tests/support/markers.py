"""Which real component a test needs, derived from the fixtures it uses.

A test is marked ``docker``, ``bwrap``, ``ray``, ``postgres``, ``s3``, ``server`` or
``browser`` (a real Chromium, tests/console) because a fixture in its closure starts that
component (:data:`FIXTURE_COMPONENTS`) or because it runs in that isolation backend (a
parameter naming it, as ``tests/runtime/conftest.py``'s). The hook in
``tests/conftest.py`` applies them at collection, so a new test is marked by what it asks
for, without anyone remembering to; ``make test-fast`` deselects them by marker. The markers
themselves are registered in ``pyproject.toml``.

Tests that share state run in one xdist worker (``pytest -n 2 --dist loadgroup``), by an
``xdist_group`` (:func:`groups_of`):

- every ``ray`` test (with the rest of its module when that module starts a server) joins
  the group :data:`RAY_GROUP`: the tests on the session's Ray head (the job servers'
  cluster, whose worker processes ``test_job_lifecycle`` finds and kills by their title),
  the engine tests' local Ray and the demo's run one after another, and only one Ray runs
  at a time;
- every other module with a ``server`` test is a group of its own: its tests share one
  module-scoped server whose state they build on in order (a world, a withdrawal the
  statistics count), and the server starts once rather than once per worker.

PostgreSQL servers, uvicorn servers and temporary directories are per worker anyway (free
ports, private directories); docker containers have unique names.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

FIXTURE_COMPONENTS: dict[str, tuple[str, ...]] = {
    "docker_engine": ("docker",),
    "postgres_server": ("postgres",),
    "s3_server": ("s3",),
    "ray_session": ("ray",),
    "ray_address": ("ray",),
    "ray_nodes": ("ray",),
    "live_server": ("server",),
    "job_server": ("server",),
    "chromium": ("browser",),
}
"""A fixture's name: the components a test using it (directly or through another) needs."""

BACKEND_COMPONENTS: dict[str, str] = {"docker": "docker", "bwrap": "bwrap"}
"""A parameter naming a backend (``backend``, or any fixture parametrised over backend names,
up to a ``+profile``): the component it runs in (``subprocess`` needs none)."""

RAY_GROUP = "ray"
"""The ``xdist_group`` of every module with a ``ray`` test."""


def components_of(item: pytest.Item) -> set[str]:
    """The components ``item`` needs, from its fixtures and its ``backend`` parameter."""
    names: Iterable[str] = getattr(item, "fixturenames", ())
    found = {component for name in names for component in FIXTURE_COMPONENTS.get(name, ())}
    callspec = getattr(item, "callspec", None)
    for value in callspec.params.values() if callspec is not None else ():
        # A backend parameter, of ``backend`` or any fixture parametrised over backend names:
        # "docker", or "docker+scientific" (a runtime profile).
        if isinstance(value, str):
            component = BACKEND_COMPONENTS.get(value.split("+", 1)[0])
            if component is not None:
                found.add(component)
    return found


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def groups_of(items: Iterable[pytest.Item]) -> dict[str, str]:
    """The ``xdist_group`` of each item that needs one, by node id (see the module
    docstring); run after the component markers are applied.

    A module with a ``server`` test is kept whole (its tests share the server's state);
    elsewhere only the ``ray`` tests join the Ray group, so an engine module's pure tests
    still spread over the workers.
    """
    items = list(items)
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(_module_of(item), []).append(item)
    groups: dict[str, str] = {}
    for module, members in modules.items():
        ray = [item for item in members if item.get_closest_marker("ray") is not None]
        if any(item.get_closest_marker("server") is not None for item in members):
            group = RAY_GROUP if ray else module
            groups.update((item.nodeid, group) for item in members)
        else:
            groups.update((item.nodeid, RAY_GROUP) for item in ray)
    return groups


def apply(items: list[pytest.Item]) -> None:
    """Mark every item with the components it needs, then with its module's xdist group."""
    for item in items:
        present = {mark.name for mark in item.iter_markers()}
        for component in sorted(components_of(item) - present):
            item.add_marker(getattr(pytest.mark, component))
    groups = groups_of(items)
    for item in items:
        group = groups.get(item.nodeid)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))


def tag_nodeids_for_xdist(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each grouped item's id the ``@group`` suffix ``--dist loadgroup`` schedules by.

    pytest-xdist 3.8 appends it to ``Node._nodeid``, which pytest 9 no longer reads (a node
    keeps its id in ``Node._id``), so without this a group is silently spread over the
    workers. Done only where the suffix is missing, so a fixed xdist makes this a no-op.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        mark = item.get_closest_marker("xdist_group")
        if mark is None or not mark.args:
            continue
        suffix = f"@{mark.args[0]}"
        if not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)
