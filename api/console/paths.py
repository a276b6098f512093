"""Where the console lives: its URL prefix, its static files and the built npm assets."""

from __future__ import annotations

from pathlib import Path

CONSOLE_PREFIX = "/console"
STATIC_URL = f"{CONSOLE_PREFIX}/static"
"""The console's own style sheet and script (``api/console/static``)."""
VENDOR_URL = f"{CONSOLE_PREFIX}/vendor"
"""The npm-built assets (``console/dist``): code editor, Chart.js, axe-core, Swagger UI."""

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_DIR = Path(__file__).resolve().parents[2] / "console" / "dist"
"""Built by ``scripts/install-deps.sh`` (``npm ci`` and ``npm run build`` in ``console/``)."""


def local_next(target: str | None, default: str = f"{CONSOLE_PREFIX}/catalog") -> str:
    """``target`` if it is a path on this site, else ``default``: a ``next=`` parameter must
    never send the browser to another host (an open redirect).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
