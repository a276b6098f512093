"""The client's side of ``/v1/objections`` (``api/routers/objections.py``)."""

from __future__ import annotations

from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none


class ObjectionsMixin(ClientBase):
    """Objections to errors or omissions in a dataset, and their answers."""

    def file_objection(self, dataset: str, kind: str, description: str) -> JSON:
        """Object to an ``error`` or ``omission`` in a dataset (any account)."""
        return self._obj(
            "POST",
            "/objections",
            json={"dataset": dataset, "kind": kind, "description": description},
        )

    def list_objections(self, status: str | None = None, dataset: str | None = None) -> list[JSON]:
        """The objections you may see, newest first."""
        return self._list(
            "GET", "/objections", params=drop_none({"status": status, "dataset": dataset})
        )

    def get_objection(self, objection_id: int) -> JSON:
        """One objection with its answer stage."""
        return self._obj("GET", f"/objections/{objection_id}")

    def answer_objection(
        self,
        objection_id: int,
        outcome: Literal["corrected", "rejected"],
        answer: str,
        version: int | None = None,
        attribute_change: int | None = None,
    ) -> JSON:
        """Answer an objection (the dataset's provider); a correction names the new version,
        or for an objection to the open attribute the attribute change filed since.
        """
        body = {"outcome": outcome, "answer": answer, "version": version}
        return self._obj(
            "POST",
            f"/objections/{objection_id}/answer",
            json=drop_none({**body, "attribute_change": attribute_change}),
        )
