"""A token revoked through one API process is refused by another at its very next request:
authentication reads the token from the database on every request (no per-process cache
to go stale), two live servers on one PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer
from tests.support.server import create_accounts, start_server, stop_server, wait_healthy

pytestmark = [pytest.mark.server, pytest.mark.postgres]


def test_a_token_revoked_on_one_process_is_refused_by_the_other_at_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    env = {
        "SANDBOX_DATABASE_URL": postgres_server.create_database(),
        "SANDBOX_RATE_LIMIT_USER_PER_SECOND": "100000",
        "SANDBOX_RATE_LIMIT_USER_BURST": "100000",
    }
    var_dir = tmp_path / "var"  # one platform, two API processes
    servers = [start_server(var_dir, env, log_name=f"server-{n}.log", wait=False) for n in (0, 1)]
    try:
        for server in servers:
            wait_healthy(server)
        platform = servers[0].open_platform()
        try:
            secret = create_accounts(platform)["user"].token
        finally:
            platform.close()
        revoking, other = (server.client(secret) for server in servers)
        with revoking, other:
            for _ in range(20):  # warm: the other process has answered this token many times
                assert other.get("/v1/grants").status_code == 200
            (mine,) = revoking.get("/v1/tokens").json()
            assert revoking.delete(f"/v1/tokens/{mine['id']}").status_code == 200
            refused = other.get("/v1/grants")
            assert refused.status_code == 401, refused.text
            assert "revoked" in refused.json()["message"]
            assert revoking.get("/v1/grants").status_code == 401
    finally:
        for server in servers:
            stop_server(server)
