"""A throwaway PostgreSQL cluster (Debian's ``postgresql`` binaries) on loopback and a private
socket: the tests' ``postgres_server`` fixture and the load benchmark both start one.

Failures raise :class:`PostgresUnavailable` with the server's own output, so that a caller
can say what went wrong (the test fixture turns it into a test failure without a traceback).
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing, or a server could not be set up or started."""


PG_SERVER_OPTIONS = (
    "-F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)
PG_START_ATTEMPTS = 3
PG_READY_TIMEOUT = 60.0


# --- PostgreSQL ---------------------------------------------------------------------------------


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def postgres_bindir() -> Path:
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
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl) found via `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin; install the Debian package `postgresql` "
        "(`make venv` / scripts/install-deps.sh does this)"
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
            raise PostgresUnavailable(
                f"PostgreSQL {what} failed (exit {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{log[-4000:]}"
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


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and removed on exit."""
    # Not under a test's tmp dir: the postgres user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="sandbox-pg-"))
    server = PostgresServer(bindir=postgres_bindir(), root=root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
