"""Demo setup: accounts for every role, the demo data files and a running server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from sandbox.config import Settings
from sandbox.identity import service, tokens
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction

DEMO_ACCOUNTS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("demo-admin", Role.ADMIN, None, "Platform operator"),
    ("demo-provider", Role.PROVIDER, "City Health Bureau", "Health data officer"),
    ("demo-researcher", Role.USER, "Urban Health Institute", "Researcher"),
    ("demo-reviewer", Role.REVIEWER, "City Health Bureau", "Result reviewer"),
    ("demo-authority", Role.AUTHORITY, "City Data Authority", "Data authority officer"),
    ("demo-auditor", Role.AUDITOR, None, "Security auditor"),
)
ORG_KINDS = {
    "City Health Bureau": OrganisationKind.PROVIDER,
    "Urban Health Institute": OrganisationKind.USER,
    "City Data Authority": OrganisationKind.AUTHORITY,
}


@dataclass(frozen=True)
class DemoAccount:
    """A demo account with a fresh token for this run."""

    username: str
    role: Role
    user_id: int
    token: str


def ensure_accounts(platform: Platform) -> dict[Role, DemoAccount]:
    """Create the demo organisations and accounts once; issue a fresh token each run."""
    system = Actor.system()
    accounts: dict[Role, DemoAccount] = {}
    with transaction(platform.sessions) as session:
        orgs = {}
        for name, kind in ORG_KINDS.items():
            existing = service.find_organisation(session, name)
            orgs[name] = (
                existing.id
                if existing
                else service.create_organisation(session, system, name=name, kind=kind).id
            )
        for username, role, org, display in DEMO_ACCOUNTS:
            user = service.find_user(session, username) or service.create_user(
                session,
                system,
                username=username,
                role=role,
                display_name=display,
                organisation_id=orgs[org] if org else None,
            )
            secret = tokens.issue_token(
                session, system, user_id=user.id, name="demo", days=30
            ).secret
            accounts[role] = DemoAccount(username, role, user.id, secret)
    return accounts


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``127.0.0.1:port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def start_server(
    settings: Settings, port: int, log_path: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Run uvicorn serving the app on ``port`` and wait until it answers."""
    env = {**os.environ, "SANDBOX_VAR_DIR": str(settings.var_dir.resolve()), **(extra_env or {})}
    log = log_path.open("ab")
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
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.25)
    process.terminate()
    raise RuntimeError(f"the server did not answer within 60 s; see {log_path}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server politely, then firmly."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
