"""The client's side of ``/v1/attribute-changes`` (``api/routers/attribute_changes.py``).

A request is filed on its dataset (:meth:`DatasetsMixin.request_attribute_change`);
the authority reads and decides them here.
"""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase, drop_none


class AttributeChangesMixin(ClientBase):
    """Requests to change a dataset's open attribute: list and decide."""

    def list_attribute_changes(
        self, status: str | None = None, dataset: str | None = None
    ) -> list[JSON]:
        """Attribute-change requests, optionally only those of one status or dataset."""
        return self._list(
            "GET", "/attribute-changes", params=drop_none({"status": status, "dataset": dataset})
        )

    def decide_attribute_change(self, change_id: int, approve: bool, note: str = "") -> JSON:
        """Approve or reject an attribute-change request (authority)."""
        return self._obj(
            "POST",
            f"/attribute-changes/{change_id}/decision",
            json={"approve": approve, "note": note},
        )
