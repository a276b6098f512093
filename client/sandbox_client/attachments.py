"""The client's side of ``/v1/applications/{id}/attachments``
(``api/routers/application_attachments.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sandbox_client._http import JSON, ClientBase


class AttachmentsMixin(ClientBase):
    """Proof files attached to an application."""

    def attach_to_application(
        self,
        application_id: int,
        content: bytes | str | os.PathLike[str],
        filename: str | None = None,
    ) -> JSON:
        """Attach a proof file (bytes, or a path to read) to your application under review:
        a PDF, PNG, JPEG or UTF-8 text of at most 5 MiB.
        """
        if isinstance(content, bytes):
            data, name = content, filename or "attachment"
        else:
            source = Path(content)
            data, name = source.read_bytes(), filename or source.name
        return self._obj(
            "POST",
            f"/applications/{application_id}/attachments",
            content=data,
            headers={"X-Filename": name, "Content-Type": "application/octet-stream"},
        )

    def list_attachments(self, application_id: int) -> list[JSON]:
        """The application's proof files (their records)."""
        return self._list("GET", f"/applications/{application_id}/attachments")

    def attachment(self, application_id: int, attachment_id: int) -> bytes:
        """The bytes of a proof file (the read is audited)."""
        return self._send(
            "GET", f"/applications/{application_id}/attachments/{attachment_id}"
        ).content
