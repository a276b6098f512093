"""The client's side of ``/v1/uploads`` (``api/routers/uploads.py``).

A staged file is streamed from disk; registration, new versions and reprocessing
name it by its ``upload_id``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from pathlib import Path

from sandbox_client._http import JSON, ClientBase
from sandbox_client._transfer import maybe_progress, read_chunks
from sandbox_client.errors import SandboxAPIError, SandboxClientError


class UploadsMixin(ClientBase):
    """Staging a file, and the upload-then-use step that registration and versions share."""

    def upload(
        self,
        path: str | os.PathLike[str],
        *,
        filename: str | None = None,
        progress: bool = False,
    ) -> JSON:
        """Stage a data file (provider), streaming it from disk; returns its ``upload_id``.

        The exact Content-Length is sent so the server can refuse an oversized file at once
        and tell a truncated transfer from a complete one.
        """
        source = Path(path)
        size = source.stat().st_size
        name = filename or source.name
        headers = {
            "X-Filename": name,
            "Content-Length": str(size),
            "Content-Type": "application/octet-stream",
        }
        with source.open("rb") as handle, maybe_progress(progress) as bar:
            advance = None
            if bar is not None:
                advance = functools.partial(bar.advance, bar.add_task(f"upload {name}", total=size))
            return self._obj(
                "POST", "/uploads", content=read_chunks(handle, advance), headers=headers
            )

    def discard_upload(self, upload_id: str) -> None:
        """Discard a staged upload you no longer mean to register."""
        self._send("DELETE", f"/uploads/{upload_id}")

    def _from_upload(
        self, path: str | os.PathLike[str], progress: bool, use: Callable[[JSON], JSON]
    ) -> JSON:
        """Upload ``path`` and hand its source to ``use``; a refused use discards the upload.

        The caller never saw the upload id, so a staged file left behind after a refusal
        could only waste the server's disk.
        """
        upload_id = self.upload(path, progress=progress)["upload_id"]
        try:
            return use({"upload_id": upload_id})
        except SandboxAPIError:
            with contextlib.suppress(SandboxClientError):
                self.discard_upload(upload_id)
            raise
