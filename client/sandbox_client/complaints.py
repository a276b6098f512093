"""The client's side of ``/v1/complaints`` (``api/routers/complaints.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none
from sandbox_client._transfer import SourceFormat


class ComplaintsMixin(ClientBase):
    """Complaints of infringed privacy or trade secrets, their evidence and answers."""

    def file_complaint(
        self, dataset: str, kind: str, description: str, evidence_text: str = ""
    ) -> JSON:
        """Complain that a dataset infringes ``privacy`` or a ``trade_secret`` (any
        account); the provider answers within 10 working days.
        """
        return self._obj(
            "POST",
            "/complaints",
            json={
                "dataset": dataset,
                "kind": kind,
                "description": description,
                "evidence_text": evidence_text,
            },
        )

    def list_complaints(self, status: str | None = None, dataset: str | None = None) -> list[JSON]:
        """The complaints you may see, newest first."""
        return self._list(
            "GET", "/complaints", params=drop_none({"status": status, "dataset": dataset})
        )

    def get_complaint(self, complaint_id: int) -> JSON:
        """One complaint with its evidence and answer stage."""
        return self._obj("GET", f"/complaints/{complaint_id}")

    def add_complaint_evidence(
        self,
        complaint_id: int,
        content: bytes | str | os.PathLike[str],
        filename: str | None = None,
    ) -> JSON:
        """Attach an evidence file (bytes, or a path to read) to your open complaint."""
        if isinstance(content, bytes):
            data, name = content, filename or "evidence.bin"
        else:
            source = Path(content)
            data, name = source.read_bytes(), filename or source.name
        return self._obj(
            "POST",
            f"/complaints/{complaint_id}/evidence",
            content=data,
            headers={"X-Filename": name, "Content-Type": "application/octet-stream"},
        )

    def complaint_evidence(self, complaint_id: int, evidence_id: int) -> bytes:
        """The bytes of an evidence file."""
        return self._send("GET", f"/complaints/{complaint_id}/evidence/{evidence_id}").content

    def answer_complaint(
        self,
        complaint_id: int,
        outcome: Literal["restore", "reprocess", "end"],
        answer: str,
        *,
        upload_id: str | None = None,
        method: str = "",
        description: str = "",
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Answer a complaint (the dataset's provider); ``reprocess`` stores the staged
        ``upload_id`` as a new desensitised version recorded with ``method``.
        """
        return self._obj(
            "POST",
            f"/complaints/{complaint_id}/answer",
            json=drop_none(
                {
                    "outcome": outcome,
                    "answer": answer,
                    "upload_id": upload_id,
                    "method": method,
                    "description": description,
                    "format": format,
                }
            ),
        )
