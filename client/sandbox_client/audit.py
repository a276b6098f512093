"""The client's side of ``/v1/audit`` (``api/routers/audit.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox_client._http import JSON, ClientBase, drop_none
from sandbox_client._transfer import CHUNK_BYTES


class AuditMixin(ClientBase):
    """The audit trail: page through it, export it whole, have the server verify it."""

    def audit_page(
        self,
        after_seq: int = 0,
        limit: int = 100,
        *,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        actor: str | None = None,
    ) -> JSON:
        """Audit entries after ``after_seq`` (auditor, admin): ``{"data": [...], "count"}``."""
        params = drop_none(
            {
                "after_seq": after_seq,
                "limit": limit,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "actor": actor,
            }
        )
        return self._obj("GET", "/audit", params=params)

    def audit_export(self, dest_path: str | os.PathLike[str]) -> int:
        """Stream the whole audit log to ``dest_path`` as JSON lines; returns the line count."""
        dest = Path(dest_path)
        partial = dest.with_name(dest.name + ".part")
        lines = 0
        try:
            with self._stream("GET", "/audit/export") as response, partial.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    lines += chunk.count(b"\n")
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        return lines

    def audit_verify(self) -> JSON:
        """Have the server walk the whole chain: ``ok``, ``entries_checked``, ``problems``."""
        return self._obj("GET", "/audit/verify")
