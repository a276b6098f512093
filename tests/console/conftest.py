"""Fixtures of the console tests: one live server per module with its accounts, and one
real Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; no browser download)
for the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.browser import launch_chromium
from tests.support.server import Accounts, LiveServer, create_accounts, start_server, stop_server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("console") / "var")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def accounts(live_server: LiveServer) -> Accounts:
    platform = live_server.open_platform()
    try:
        return create_accounts(platform)
    finally:
        platform.close()


# Module scope, not session: while Playwright's sync driver runs, its event loop counts as
# running in this thread, and any later test of the same worker calling asyncio.run() fails.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright_driver)
    yield browser
    browser.close()
