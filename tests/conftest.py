"""Shared fixtures: a real PostgreSQL server, fresh databases on both backends, settings,
the Docker engine and a Ray head.

Markers are declared in ``pyproject.toml``; the collection hook below applies the component
markers and xdist groups that the fixtures a test uses call for (:mod:`tests.support.markers`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sandbox.config import Settings
from sandbox.store import make_engine, make_session_factory, upgrade_to_head
from tests.support import markers
from tests.support.postgres import PostgresServer, PostgresUnavailable, running_postgres
from tests.support.ray_nodes import RayNodes
from tests.support.s3 import S3Server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session, on 127.0.0.1 and a private socket."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as unavailable:
        pytest.fail(str(unavailable), pytrace=False)


# --- Databases on both backends -----------------------------------------------------------------


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgres"],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sandbox.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a freshly migrated database (see ``db_url`` for the backends)."""
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def db_engine(session_factory: sessionmaker[Session]) -> Engine:
    """The engine behind ``session_factory``, for raw SQL in tests."""
    engine = session_factory.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings rooted in a private ``var`` dir (the database defaults to SQLite under it)."""
    for name in list(os.environ):
        if name.upper().startswith("SANDBOX_"):
            monkeypatch.delenv(name)
    return Settings(var_dir=tmp_path / "var")


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """The Docker client, once the engine answers (started here if it did not:
    :mod:`tests.support.docker_engine`)."""
    from tests.support.docker_engine import ensure_engine

    return ensure_engine()


@pytest.fixture(scope="session")
def ray_address(docker_engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Ray head for the session's job servers (:mod:`tests.support.ray_cluster`), once the
    Docker engine answers: job servers pick the strongest backend, docker, as in production."""
    from tests.support.ray_cluster import start_ray_head, stop_ray_head

    head = start_ray_head(tmp_path_factory.mktemp("ray"))
    yield head.address
    stop_ray_head(head)


@pytest.fixture(scope="session")
def ray_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayNodes]:
    """A two-node Ray cluster with token authentication (:mod:`tests.support.ray_nodes`),
    for the cluster tests; skipped, saying why, if ``ray start`` cannot run here."""
    from tests.support.ray_nodes import RayStartFailed, start_ray_nodes

    try:
        nodes = start_ray_nodes(tmp_path_factory.mktemp("ray-nodes"))
    except (RayStartFailed, OSError) as exc:
        pytest.skip(f"ray start cannot run here: {exc}")
    yield nodes
    nodes.stop()


# --- S3 ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 API server (moto's) on loopback for the session, with a bucket and the
    only credentials it accepts (:mod:`tests.support.s3`); skipped, saying why, if moto
    cannot start."""
    from tests.support.s3 import S3Unavailable, start_s3_server, stop_s3_server_process

    try:
        server = start_s3_server(tmp_path_factory.mktemp("s3"))
    except S3Unavailable as exc:
        pytest.skip(f"no S3 API server: {exc}")
    yield server
    stop_s3_server_process(server.process)


# --- Markers ------------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the components its fixtures start, before ``-m`` selects and
    before xdist reads the groups."""
    markers.apply(items)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Once every plugin modified the items, before an xdist worker reports their ids: the
    xdist group in each grouped test's id."""
    markers.tag_nodeids_for_xdist(session.config, session.items)
