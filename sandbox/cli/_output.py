"""Shared output: results on stdout, messages and errors on stderr, never a traceback.

Scripts capture stdout (a token, a table), so anything meant for a human watching goes to
stderr. Messages are printed without Rich markup or wrapping because they may contain
brackets from user input and must stay one greppable line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

out = Console(soft_wrap=True)
"""Results: tables and values a script may read."""

err = Console(stderr=True, soft_wrap=True)
"""Progress, notes and errors for the person at the terminal."""


def cell(value: Any) -> Text:
    """A table cell shown literally: brackets in a title are text, not Rich markup.

    Nested values become compact JSON, missing ones an empty cell.
    """
    if value is None:
        return Text("")
    if isinstance(value, (dict, list)):
        return Text(json.dumps(value, ensure_ascii=False))
    return Text(str(value))


def when(timestamp: str | None) -> Text:
    """An ISO timestamp to the minute, which is all a table needs."""
    return Text((timestamp or "")[:16].replace("T", " "))


def note(message: str) -> None:
    """A human-readable line on stderr."""
    err.print(message, markup=False, highlight=False)


def fail(message: str) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit with status 1."""
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(1)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the sandbox's own errors into a one-line message and exit status 1.

    Only errors the caller can act on are caught (domain, client and database errors);
    a bug still shows its traceback, because hiding it would hide the bug.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from sandbox.client import SandboxClientError
    from sandbox.errors import SandboxError

    try:
        yield
    except (SandboxError, SandboxClientError) as exc:  # the client ships its own errors
        fail(exc.message)
    except SQLAlchemyError as exc:
        first_line = (str(exc).splitlines() or [exc.__class__.__name__])[0]
        fail(f"the database cannot be used: {first_line}")
    except OSError as exc:
        fail(str(exc))
