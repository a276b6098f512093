"""A real Chromium for the console tests, and what they check in it.

The browser is Debian's ``chromium`` package (``/usr/bin/chromium``, installed by
``scripts/install-deps.sh``), driven by Playwright; Playwright's own browser download is
never used. Helpers here open a page at a width, save screenshots under
``var/screenshots/``, run axe-core (the copy the console serves from npm) and record every
request a page made, so a test can tell that nothing left the server.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

WIDTHS: dict[str, ViewportSize] = {
    "laptop": ViewportSize(width=1280, height=800),
    "phone": ViewportSize(width=390, height=844),
}
"""The two widths every main view is checked at."""

SERIOUS = frozenset({"serious", "critical"})


def launch_chromium(driver: Playwright) -> Browser:
    """Debian's Chromium, headless; without its sandbox when running as root (it refuses
    to start there otherwise)."""
    if not CHROMIUM.is_file():
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: run scripts/install-deps.sh (Debian's chromium)"
        )
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)


@dataclass
class Visit:
    """A browser context at one width, with every URL its pages requested."""

    context: BrowserContext
    page: Page
    width: str
    requested: list[str] = field(default_factory=list)

    def foreign_requests(self, base_url: str) -> list[str]:
        """The requests that went anywhere but the server under test."""
        origin = urlsplit(base_url).netloc
        return [
            url
            for url in self.requested
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).netloc != origin
        ]


def open_visit(browser: Browser, base_url: str, width: str = "laptop", **options: Any) -> Visit:
    """A fresh context (no cookies) at ``width`` whose pages resolve paths on ``base_url``."""
    context = browser.new_context(viewport=WIDTHS[width], base_url=base_url, **options)
    page = context.new_page()
    visit = Visit(context, page, width)
    context.on("request", lambda request: visit.requested.append(request.url))
    return visit


def signed_in_visit(
    browser: Browser, base_url: str, username: str, password: str, width: str = "laptop"
) -> Visit:
    """A visit whose context signed in through ``POST /v1/sessions`` (its cookie is set)."""
    visit = open_visit(browser, base_url, width)
    answer = visit.context.request.post(
        "/v1/sessions", data={"username": username, "password": password}
    )
    assert answer.status == 201, answer.text()
    return visit


def screenshot(page: Page, name: str, width: str) -> Path:
    """Save the whole page as ``var/screenshots/<name>-<width>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}-{width}.png"
    # the Chinese font comes in slices fetched as glyphs appear: load those of the page's
    # text in both weights before the picture is taken
    page.evaluate(
        """async () => {
            const text = document.body.innerText;
            await Promise.all(['400', '700'].map(
                (weight) => document.fonts.load(`${weight} 16px "Noto Sans SC"`, text)));
            await document.fonts.ready;
        }"""
    )
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (served by the console from npm) on the page: its serious and critical
    violations, each with the rule and the elements it found."""
    page.add_script_tag(url="/console/vendor/axe.min.js")
    results: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0 when nothing overflows)."""
    overflow: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow
