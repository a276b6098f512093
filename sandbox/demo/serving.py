"""Whether the demo keeps its server up after the walkthrough, and what it says when not.

The "try next" commands need a running server. Without a terminal (CI, a pipe, ``make demo
< /dev/null``) nobody can press Ctrl-C, so the demo stops the server, and it must then say
so and print the exact command that serves the same database on the same port, instead of
leaving commands that fail with "connection refused". ``SANDBOX_DEMO_SERVE=1`` keeps it
serving without a terminal (stop it with SIGTERM or Ctrl-C); ``SANDBOX_DEMO_EXIT=1`` stops
it even with one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_PORT", "Serving", "decide_serving", "serve_command", "stopped_message"]

DEFAULT_PORT = 8000
"""The port of ``sandbox serve`` and ``make serve`` when none is given."""


@dataclass(frozen=True)
class Serving:
    """Whether to keep serving, and if not, why (for the message)."""

    keep: bool
    why_not: str = ""


def decide_serving(*, ok: bool, interactive: bool, env: Mapping[str, str]) -> Serving:
    """Keep serving when every step held and someone can stop it (a terminal), or when
    ``SANDBOX_DEMO_SERVE=1`` asks; ``SANDBOX_DEMO_EXIT=1`` always stops.
    """
    if not ok:
        return Serving(False, "a step failed")
    if env.get("SANDBOX_DEMO_EXIT") == "1":
        return Serving(False, "SANDBOX_DEMO_EXIT=1")
    if env.get("SANDBOX_DEMO_SERVE") == "1" or interactive:
        return Serving(True)
    return Serving(False, "no terminal")


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when under it (as a person types it)."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def serve_command(var_dir: Path, port: int) -> str:
    """The command that serves ``var_dir`` on ``port`` as the demo did.

    ``make serve`` runs ``sandbox serve`` on the default port with the environment's
    ``SANDBOX_VAR_DIR``, so it is offered only for the default port; another var dir than
    ``./var`` is passed in the environment.
    """
    env = (
        ""
        if var_dir.resolve() == (Path.cwd() / "var").resolve()
        else f"SANDBOX_VAR_DIR={_shown(var_dir)} "
    )
    if port == DEFAULT_PORT:
        return f"`{env}make serve` (or `{env}.venv/bin/sandbox serve`)"
    return f"`{env}.venv/bin/sandbox serve --port {port}`"


def stopped_message(why: str, var_dir: Path, port: int, env_file: Path) -> str:
    """What the demo prints once it has stopped the server."""
    return (
        f"the server has stopped ({why}); run {serve_command(var_dir, port)} and "
        f"`source {_shown(env_file)}` to try these; set SANDBOX_DEMO_SERVE=1 to keep it "
        "serving without a terminal"
    )
