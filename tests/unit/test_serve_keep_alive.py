"""``sandbox serve`` keeps idle connections longer than the client does (see
:data:`sandbox.cli.main.SERVER_KEEP_ALIVE`), and ``--keep-alive`` sets it."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from sandbox_client._http import KEEPALIVE_EXPIRY
from typer.testing import CliRunner

from sandbox.cli.main import SERVER_KEEP_ALIVE, app


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: seen.append(options))
    return seen


def test_the_server_outlasts_the_clients_idle_connections(runs: list[dict[str, Any]]) -> None:
    assert CliRunner().invoke(app, ["serve"]).exit_code == 0
    assert runs[0]["timeout_keep_alive"] == SERVER_KEEP_ALIVE > KEEPALIVE_EXPIRY


def test_keep_alive_is_set_by_its_option(runs: list[dict[str, Any]]) -> None:
    assert CliRunner().invoke(app, ["serve", "--keep-alive", "120"]).exit_code == 0
    assert runs[0]["timeout_keep_alive"] == 120
    refused = CliRunner().invoke(app, ["serve", "--keep-alive", "0"])
    assert refused.exit_code == 2 and "--keep-alive" in refused.output
