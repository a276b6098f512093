"""How files move: fixed-size chunks both ways, an optional progress bar, the formats.

An upload is read from disk as it is sent and a download is written to disk as it arrives,
so neither is ever held whole in memory; the bar goes to stderr so stdout stays clean for
scripts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

CHUNK_BYTES = 1024 * 1024
"""Transfer unit for uploads and downloads: large enough to be fast, small enough to stream."""

DownloadFormat = Literal["parquet", "csv"]
SourceFormat = Literal["parquet", "csv", "arrow"]


@dataclass(frozen=True)
class DownloadResult:
    """Where a download landed and what it was."""

    path: Path
    version: int | None
    """The dataset version served (from ``X-Dataset-Version``), when the server said."""
    byte_size: int


def progress_bar() -> Progress:
    """A transfer bar on stderr, so stdout stays clean for scripts."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )


@contextlib.contextmanager
def maybe_progress(enabled: bool) -> Iterator[Progress | None]:
    """A progress bar while the block runs, or ``None`` when none was asked for."""
    if not enabled:
        yield None
        return
    with progress_bar() as bar:
        yield bar


def read_chunks(handle: BinaryIO, advance: Callable[[float], None] | None) -> Iterator[bytes]:
    """Yield ``handle`` chunk by chunk, reporting each chunk's size to ``advance``."""
    while chunk := handle.read(CHUNK_BYTES):
        if advance is not None:
            advance(len(chunk))
        yield chunk
