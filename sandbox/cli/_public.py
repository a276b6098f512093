"""A client for the commands that work without a token too (the public lists, a visitor's
report): the token is used when one is given, else the request goes out as a visitor's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sandbox.cli._output import reported_errors
from sandbox.client import SandboxClient


@contextmanager
def public_remote(url: str, token: str | None) -> Iterator[SandboxClient]:
    """A client for the command's server, with ``token`` if there is one."""
    with reported_errors(), SandboxClient(url, token or None) as client:
        yield client
