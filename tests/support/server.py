"""A real server for API tests: uvicorn serving ``api.main:create_app`` on a loopback port,
and the accounts every API test starts from.

Accounts are created directly in the server's database, as ``sandbox admin create-user``
does on a server host. Each server gets a free port and its own ``var`` directory, so servers
of parallel test workers never meet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from sandbox.cli.main import SERVER_KEEP_ALIVE
from sandbox.config import Settings
from sandbox.identity import service, tokens
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""The size limit the test server runs with, small enough to test an oversize upload."""

START_TIMEOUT = 240.0
"""Seconds a server has to answer ``/v1/health``. Importing the app (scipy, pandas, OpenDP,
pyarrow: about 4 s of CPU) took 90 to 130 s of wall time on a 2-core machine at load 20, so
the old 60 s failed there although nothing was wrong; an early exit is still seen at once."""

HEALTH_PROBE_TIMEOUT = 10.0
"""Seconds one health probe may take: a starved server answers slowly, not never."""


SERVER_VAR_DIRS: dict[str, Path] = {}
"""The var directory of each server this process started, by URL."""

AUTHORITY_TOKENS: dict[Path, str] = {}
"""The token of the ``authority`` account :func:`create_accounts` made, by var directory:
the test helpers that register datasets pass their publication review as that account
(:func:`authority_token_of`)."""


def authority_token_of(url: str) -> str:
    """The authority's token on the server at ``url`` (made by :func:`create_accounts`)."""
    var_dir = SERVER_VAR_DIRS.get(url.rstrip("/"))
    token = AUTHORITY_TOKENS.get(var_dir) if var_dir is not None else None
    if token is None:
        raise LookupError(
            f"no authority account is known for the server at {url}: create the accounts "
            "with create_accounts, or pass the review yourself (publish=False)"
        )
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    var_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]
    """The server's environment (the parent's, without its SANDBOX_* variables)."""

    @property
    def settings(self) -> Settings:
        """The server's settings as a process on its host reads them (its database too)."""
        return Settings(var_dir=self.var_dir, database_url=self.env.get("SANDBOX_DATABASE_URL", ""))

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def open_platform(self) -> Platform:
        return Platform.open(self.settings)


def start_server(
    var_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    log_name: str = "server.log",
    wait: bool = True,
) -> LiveServer:
    """Start a server; ``log_name`` tells apart the logs of servers sharing ``var_dir`` (one
    platform's API processes), and ``wait=False`` returns at once (see :func:`wait_healthy`).
    """
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / log_name
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("SANDBOX_")}
    env.update(
        {
            "SANDBOX_VAR_DIR": str(var_dir),
            "SANDBOX_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
            # a test server's jobs come a few at a time: no Ray workers started ahead
            "SANDBOX_RAY_WORKERS_AHEAD": "0",
            **(extra_env or {}),
        }
    )
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-keep-alive",  # as ``sandbox serve`` keeps them
            str(SERVER_KEEP_ALIVE),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = LiveServer(f"http://127.0.0.1:{port}", var_dir, process, log_path, env)
    SERVER_VAR_DIRS[server.url] = var_dir.resolve()
    if wait:
        wait_healthy(server)
    return server


def wait_healthy(server: LiveServer) -> LiveServer:
    """Wait until ``server`` answers ``/v1/health`` (raise with its log if it exits first)."""
    url, process, log_path = server.url, server.process, server.log_path
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if process.poll() is not None:
            raise RuntimeError(
                f"the test server exited with {process.returncode} before answering "
                f"/v1/health; its log ({log_path}):\n{log_path.read_text()}"
            )
        try:
            if httpx.get(f"{url}/v1/health", timeout=HEALTH_PROBE_TIMEOUT).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    process.wait()
    raise RuntimeError(
        f"the test server on {url} did not answer /v1/health within {START_TIMEOUT:.0f} s "
        f"(load average {_load_average()}); its log ({log_path}):\n{log_path.read_text()}"
    )


def _load_average() -> str:
    """The 1-minute load average, for a start-up failure's message (a starved machine?)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@dataclass
class Account:
    id: int
    username: str
    role: Role
    token: str
    organisation_id: int | None


@dataclass
class Accounts:
    by_name: dict[str, Account] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Account:
        return self.by_name[name]


ACCOUNT_PLAN: tuple[tuple[str, Role, str | None], ...] = (
    ("admin", Role.ADMIN, None),
    ("provider", Role.PROVIDER, "Health Bureau"),
    ("other_provider", Role.PROVIDER, "Transport Bureau"),
    ("user", Role.USER, "Research Institute"),
    ("reviewer", Role.REVIEWER, "Health Bureau"),
    ("authority", Role.AUTHORITY, "Data Authority"),
    ("auditor", Role.AUDITOR, None),
)


def create_accounts(platform: Platform) -> Accounts:
    system = Actor.system()
    kinds = {
        "Health Bureau": OrganisationKind.PROVIDER,
        "Transport Bureau": OrganisationKind.PROVIDER,
        "Research Institute": OrganisationKind.USER,
        "Data Authority": OrganisationKind.AUTHORITY,
    }
    accounts = Accounts()
    with transaction(platform.sessions) as session:
        orgs = {
            name: service.create_organisation(session, system, name=name, kind=kind).id
            for name, kind in kinds.items()
        }
        for username, role, org in ACCOUNT_PLAN:
            org_id = orgs[org] if org else None
            user = service.create_user(
                session, system, username=username, role=role, organisation_id=org_id
            )
            secret = tokens.issue_token(session, system, user_id=user.id).secret
            accounts.by_name[username] = Account(user.id, username, role, secret, org_id)
    AUTHORITY_TOKENS[platform.settings.var_dir.resolve()] = accounts["authority"].token
    return accounts
