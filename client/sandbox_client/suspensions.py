"""The client's side of the suspension endpoints under ``/v1/datasets/{name}``.

They live in ``api/routers/suspensions.py``: suspending, resolving and tracing a dataset.
"""

from __future__ import annotations

from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none
from sandbox_client._transfer import SourceFormat


class SuspensionsMixin(ClientBase):
    """Suspend a dataset at once, resolve the suspension, trace every use of the dataset."""

    def suspend_dataset(self, name: str, reason: str, complaint_id: int | None = None) -> JSON:
        """Suspend a dataset at once (its provider)."""
        return self._obj(
            "POST",
            f"/datasets/{name}/suspend",
            json=drop_none({"reason": reason, "complaint_id": complaint_id}),
        )

    def resolve_suspension(
        self,
        name: str,
        outcome: Literal["restore", "reprocess", "end"],
        note: str = "",
        *,
        upload_id: str | None = None,
        method: str = "",
        description: str = "",
        format: SourceFormat | None = None,  # noqa: A002
    ) -> JSON:
        """Restore, reprocess (from a staged ``upload_id``) or end a suspended dataset."""
        return self._obj(
            "POST",
            f"/datasets/{name}/suspension/resolve",
            json=drop_none(
                {
                    "outcome": outcome,
                    "note": note,
                    "upload_id": upload_id,
                    "method": method,
                    "description": description,
                    "format": format,
                }
            ),
        )

    def list_suspensions(self, name: str) -> list[JSON]:
        """A dataset's suspensions, newest first."""
        return self._list("GET", f"/datasets/{name}/suspensions")

    def trace_dataset(self, name: str, version: int | None = None) -> JSON:
        """Everything that touched a dataset (version), in order (provider, oversight)."""
        return self._obj("GET", f"/datasets/{name}/trace", params=drop_none({"version": version}))
