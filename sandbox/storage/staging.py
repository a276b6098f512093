"""Staged uploads: bytes streamed to local disk before they are registered.

An upload is written chunk by chunk (memory stays at one chunk whatever the file size),
counted against the size limit as it arrives, and only renamed into place once every
declared byte is there. Nothing in the catalog changes until a registration names it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import InvalidUpload, NotFound, SandboxError, UploadTooLarge, UploadTruncated

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


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
        return self.directory / f"{upload_id}.upload"

    async def receive(
        self,
        chunks: AsyncIterator[bytes],
        *,
        declared_length: int | None,
        max_bytes: int,
    ) -> StagedFile:
        """Stream ``chunks`` to disk, enforcing the size limit and the declared length."""
        if declared_length is not None and declared_length > max_bytes:
            raise UploadTooLarge(
                f"the upload declares {declared_length} bytes, over the limit of {max_bytes}"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        upload_id = uuid.uuid4().hex
        partial = self.directory / f"{upload_id}.part"
        digest = hashlib.sha256()
        received = 0
        try:
            with partial.open("wb") as out:
                try:
                    async for chunk in chunks:
                        received += len(chunk)
                        if received > max_bytes:
                            raise UploadTooLarge(
                                f"the upload exceeded the limit of {max_bytes} bytes"
                            )
                        digest.update(chunk)
                        out.write(chunk)
                except SandboxError:
                    raise
                except Exception as exc:
                    raise UploadTruncated(
                        f"the upload stopped after {received} bytes before it was complete"
                    ) from exc
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

    def list_files(self) -> list[Path]:
        """Every file in the staging area (tests use it to prove nothing lingers)."""
        if not self.directory.exists():
            return []
        return sorted(self.directory.iterdir())
