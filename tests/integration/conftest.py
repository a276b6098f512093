"""Fixtures of the API tests: one live server per module (:mod:`tests.support.server`) and
its accounts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("server") / "var")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> Accounts:
    platform = live_server.open_platform()
    try:
        return create_accounts(platform)
    finally:
        platform.close()
