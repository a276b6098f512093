"""How remote commands find their server and token: ``--url``/``SANDBOX_URL`` and
``--token``/``SANDBOX_TOKEN``, given on each command so they can sit at the end of a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from sandbox.cli._output import fail, reported_errors
from sandbox.client import SandboxClient

DEFAULT_URL = "http://127.0.0.1:8000"

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="SANDBOX_URL", help="The sandbox server's base URL."),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="SANDBOX_TOKEN",
        show_default=False,
        help="Your API token (sbx_...); prefer the environment variable, which "
        "stays out of the shell history.",
    ),
]


@contextmanager
def remote(url: str, token: str | None) -> Iterator[SandboxClient]:
    """A client for the command's server; API errors become ``error: ...`` and exit 1."""
    if not token:
        fail("no API token: pass --token or set SANDBOX_TOKEN")
    with reported_errors(), SandboxClient(url, token) as client:
        yield client
