"""Staged uploads: bytes streamed to local disk before they are registered.

An upload is written chunk by chunk (memory stays at one chunk whatever the file size),
counted against the size limit as it arrives, and only renamed into place once every
declared byte is there. Nothing in the catalog changes until a registration names it.

Three ways an upload ends without one, each leaving nothing staged:

- the client stops sending: no byte for ``idle_timeout`` seconds is
  :class:`~sandbox.errors.UploadTimedOut` (a connection and an open file must not be held
  by a client that went quiet);
- the staging directory's disk fills up: :class:`~sandbox.errors.StorageFull` naming the
  staging area, not an error of the client's;
- it is never registered: :meth:`StagingArea.sweep` removes files older than the expiry
  (the records of complete uploads are expired by :mod:`sandbox.datasets.uploads`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import (
    InvalidUpload,
    NotFound,
    SandboxError,
    UploadTimedOut,
    UploadTooLarge,
    UploadTruncated,
)
from sandbox.storage.space import STAGING_AREA, storage_full_as

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
COMPLETE_SUFFIX = ".upload"
PARTIAL_SUFFIX = ".part"


@dataclass(frozen=True)
class StagedFile:
    """A complete upload waiting on local disk."""

    upload_id: str
    path: Path
    byte_size: int
    sha256: str


class StagingArea:
    """The directory that holds staged uploads, one file per upload id."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, upload_id: str) -> Path:
        """Where a complete upload lives; refuses ids that are not ours."""
        if not UPLOAD_ID.match(upload_id):
            raise NotFound(f"upload {upload_id!r} does not exist")
        return self.directory / f"{upload_id}{COMPLETE_SUFFIX}"

    async def receive(
        self,
        chunks: AsyncIterator[bytes],
        *,
        declared_length: int | None,
        max_bytes: int,
        idle_timeout: float | None = None,
    ) -> StagedFile:
        """Stream ``chunks`` to disk, enforcing the size limit, the declared length and, when
        given, ``idle_timeout``: the most seconds allowed between two chunks.
        """
        if declared_length is not None and declared_length > max_bytes:
            raise UploadTooLarge(
                f"the upload declares {declared_length} bytes, over the limit of {max_bytes}"
            )
        upload_id = uuid.uuid4().hex
        partial = self.directory / f"{upload_id}{PARTIAL_SUFFIX}"
        digest = hashlib.sha256()
        received = 0
        iterator = aiter(chunks)
        try:
            with storage_full_as(STAGING_AREA, "receiving the upload"):
                self.directory.mkdir(parents=True, exist_ok=True)
                with partial.open("wb") as out:
                    while (
                        chunk := await _next_chunk(iterator, idle_timeout, received)
                    ) is not None:
                        received += len(chunk)
                        if received > max_bytes:
                            raise UploadTooLarge(
                                f"the upload exceeded the limit of {max_bytes} bytes"
                            )
                        digest.update(chunk)
                        out.write(chunk)
            if declared_length is not None and received != declared_length:
                raise UploadTruncated(
                    f"the upload is truncated: {received} of {declared_length} declared bytes "
                    "arrived"
                )
            if received == 0:
                raise InvalidUpload("the uploaded file is empty")
            final = self.path(upload_id)
            partial.rename(final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return StagedFile(upload_id, final, received, digest.hexdigest())

    def discard(self, upload_id: str) -> None:
        """Delete a staged upload's bytes (idempotent)."""
        self.path(upload_id).unlink(missing_ok=True)

    def sweep(self, older_than_seconds: float, keep: frozenset[str] = frozenset()) -> int:
        """Remove files of the staging area last written more than ``older_than_seconds``
        ago, except complete uploads whose ids are in ``keep``; returns how many.

        Leftovers of a crash (a ``.part`` file nobody writes any more, a complete file whose
        record was never committed) would otherwise stay for good. A live upload writes its
        ``.part`` file at least every idle timeout, far inside any expiry.
        """
        if not self.directory.exists():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.directory.iterdir():
            if path.stem in keep and path.suffix == COMPLETE_SUFFIX:
                continue
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile by another sweep or a discard
                continue
        return removed

    def list_files(self) -> list[Path]:
        """Every file in the staging area (tests use it to prove nothing lingers)."""
        if not self.directory.exists():
            return []
        return sorted(self.directory.iterdir())


async def _next_chunk(
    iterator: AsyncIterator[bytes], idle_timeout: float | None, received: int
) -> bytes | None:
    """The next chunk of the body, ``None`` at its end, waited for at most ``idle_timeout``
    seconds; the client's failures to deliver become :class:`UploadTruncated` or
    :class:`UploadTimedOut`, never an error of the server's.
    """
    try:
        if idle_timeout is None:
            return await anext(iterator)
        return await asyncio.wait_for(anext(iterator), idle_timeout)
    except StopAsyncIteration:
        return None
    except TimeoutError:
        raise UploadTimedOut(
            f"the upload was cut after {received} bytes: no data arrived for "
            f"{idle_timeout:g} s; send the file again"
        ) from None
    except SandboxError:
        raise
    except Exception as exc:
        raise UploadTruncated(
            f"the upload stopped after {received} bytes before it was complete"
        ) from exc
