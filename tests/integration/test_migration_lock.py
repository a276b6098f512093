"""Migrations run once, under a lock, however many processes start at once on an empty
database: four live servers on an empty PostgreSQL (they all start, the schema is migrated
by exactly one), and four ``sandbox db upgrade`` at once on both backends (on SQLite the
``BEGIN IMMEDIATE`` write lock is the lock; :mod:`sandbox.store.migrate`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from sandbox.store import make_engine
from sandbox.store.migrate import alembic_config, current_revision
from sandbox.store.models import Base
from tests.support.postgres import PostgresServer
from tests.support.server import start_server, stop_server, wait_healthy

REPO = Path(__file__).resolve().parents[2]
UPGRADED = "database schema upgraded from empty to"


def at_head(url: str) -> None:
    engine = make_engine(url)
    try:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.connect() as connection:
            assert current_revision(connection) == head
            assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.server
@pytest.mark.postgres
def test_four_servers_starting_at_once_on_an_empty_database_all_start(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    env = {
        "SANDBOX_DATABASE_URL": url,
        "SANDBOX_LOG_LEVEL": "INFO",
        "SANDBOX_LOG_FORMAT": "text",
    }
    var_dir = tmp_path / "var"  # one platform: its audit key and data shared by all four
    servers = [start_server(var_dir, env, log_name=f"server-{n}.log", wait=False) for n in range(4)]
    try:
        for server in servers:
            wait_healthy(server)
        logs = [server.log_path.read_text() for server in servers]
        assert sum(log.count(UPGRADED) for log in logs) == 1, logs  # migrated once
        assert not any("Traceback" in log for log in logs), logs
        at_head(url)
        with servers[3].client() as client:
            assert client.get("/v1/health").status_code == 200
    finally:
        for server in servers:
            stop_server(server)


def test_four_db_upgrades_at_once_migrate_once(db_url: str, tmp_path: Path) -> None:
    env = {"SANDBOX_VAR_DIR": str(tmp_path / "var"), "SANDBOX_DATABASE_URL": db_url}
    upgrades = [
        subprocess.Popen(
            [sys.executable, "-m", "sandbox.cli", "db", "upgrade"],
            cwd=REPO,
            env={**_clean_env(), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in upgrades]
    assert [code for code, _, _ in results] == [0] * 4, results
    said = [err.strip() for _, _, err in results]
    assert sum(line.startswith("schema upgraded to revision") for line in said) == 1, said
    assert sum("already at revision" in line for line in said) == 3, said
    at_head(db_url)
    current = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "db", "current"],
        cwd=REPO,
        env={**_clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = current.stdout.splitlines()
    assert lines[0].split()[-1] == lines[1].split()[-1]  # current: X / head: X


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.upper().startswith("SANDBOX_")}
