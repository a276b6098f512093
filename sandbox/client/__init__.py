"""The researcher's client, as the server's own code names it.

The client is a distribution of its own (``client/`` in this repository, the package
:mod:`sandbox_client`), so a researcher installs it without Ray, OpenDP or pyarrow. The
server's CLI, demo, tests and benchmarks keep importing it from here; this module only
re-exports it, so there is one client and it never depends on the server.
"""

from __future__ import annotations

from sandbox_client import (
    CHUNK_BYTES,
    DEFAULT_TIMEOUT,
    JSON,
    DownloadFormat,
    DownloadResult,
    Figure,
    MissingExtraError,
    Result,
    SandboxAPIError,
    SandboxClient,
    SandboxClientError,
    SandboxConnectionError,
    SourceFormat,
    Table,
)

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_TIMEOUT",
    "JSON",
    "DownloadFormat",
    "DownloadResult",
    "Figure",
    "MissingExtraError",
    "Result",
    "SandboxAPIError",
    "SandboxClient",
    "SandboxClientError",
    "SandboxConnectionError",
    "SourceFormat",
    "Table",
]
