"""Shared fixtures: a real PostgreSQL server, fresh databases on both backends, settings,
the Docker engine and a Ray head.

Markers are declared in ``pyproject.toml``; the collection hook below applies the component
markers and xdist groups that the fixtures a test uses call for (:mod:`tests.support.markers`).
"""

from __future__ import annotations

import glob
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sandbox.config import Settings
from sandbox.store import make_engine, make_session_factory, upgrade_to_head
from tests.support import markers
from tests.support.ray_nodes import RayNodes
from tests.support.s3 import S3Server

PG_SERVER_OPTIONS = (
    "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)
PG_START_ATTEMPTS = 3
PG_READY_TIMEOUT = 60.0


# --- PostgreSQL ---------------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def _postgres_bindir() -> Path:
    """The directory holding initdb/pg_ctl, from pg_config or the Debian layout."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for candidate in candidates:
        bindir = Path(candidate)
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    pytest.fail(
        "no PostgreSQL server binaries (initdb, pg_ctl) found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin; install the Debian package `postgresql` "
        "(`make venv` / scripts/install-deps.sh does this)",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster owned by the test session."""

    bindir: Path
    root: Path
    port: int = 0
    _as_postgres: bool = False
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def logfile(self) -> Path:
        return self.root / "server.log"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            pytest.fail(
                f"PostgreSQL {what} failed (exit {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{log[-4000:]}",
                pytrace=False,
            )

    def init(self) -> None:
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.root.chmod(0o700)
        self._check(
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "--auth=trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ),
            "initdb",
        )

    def start(self) -> None:
        last: subprocess.CompletedProcess[str] | None = None
        for _ in range(PG_START_ATTEMPTS):
            self.port = _free_port()
            options = (
                f"{PG_SERVER_OPTIONS} -c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
            )
            last = self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-l",
                str(self.logfile),
                "-o",
                options,
                "-w",
                "-t",
                str(int(PG_READY_TIMEOUT)),
                "start",
                timeout=PG_READY_TIMEOUT + 30,
            )
            if last.returncode == 0:
                self._wait_ready()
                return
            # Most likely someone took the port between our probe and the bind: try another.
        assert last is not None
        self._check(last, "start")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + PG_READY_TIMEOUT
        while True:
            try:
                with psycopg.connect(self.admin_dsn(), connect_timeout=5) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.datadir.exists():
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "stop",
                "-m",
                "immediate",
                "-w",
                timeout=60,
            )

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database ``dbname`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """Create a fresh, empty database and return its SQLAlchemy URL."""
        name = f"test_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session, on 127.0.0.1 and a private socket."""
    bindir = _postgres_bindir()
    # Not under pytest's tmp dir: the postgres user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    server = PostgresServer(bindir=bindir, root=root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


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
