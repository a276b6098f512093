"""The client's side of ``/v1/law-changes`` and ``/v1/law-change-tasks``
(``api/routers/law_changes.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none


class LawChangesMixin(ClientBase):
    """Changes of law and the catalog tasks they open (15 working days)."""

    def record_law_change(
        self,
        citation: str,
        changed_on: date | str,
        *,
        kind: Literal["law_revision", "function_change"] = "law_revision",
        summary: str = "",
        datasets: Sequence[str] = (),
        organisations: Sequence[int] = (),
    ) -> JSON:
        """Record a change (the authority); each affected dataset gets a task."""
        return self._obj(
            "POST",
            "/law-changes",
            json={
                "kind": kind,
                "citation": citation,
                "summary": summary,
                "changed_on": changed_on if isinstance(changed_on, str) else changed_on.isoformat(),
                "datasets": list(datasets),
                "organisations": list(organisations),
            },
        )

    def list_law_changes(self) -> list[JSON]:
        """Every recorded change with the tasks you see."""
        return self._list("GET", "/law-changes")

    def get_law_change(self, change_id: int) -> JSON:
        """One recorded change."""
        return self._obj("GET", f"/law-changes/{change_id}")

    def list_law_change_tasks(
        self, status: str | None = None, dataset: str | None = None, overdue: bool = False
    ) -> list[JSON]:
        """Your organisation's tasks (oversight: all); ``overdue`` keeps the late ones."""
        return self._list(
            "GET",
            "/law-change-tasks",
            params=drop_none(
                {"status": status, "dataset": dataset, "overdue": "true" if overdue else None}
            ),
        )

    def close_law_change_task(
        self,
        task_id: int,
        resolution: Literal["attribute_change", "policy_change", "new_version", "no_change"],
        *,
        reference: int | None = None,
        reason: str = "",
    ) -> JSON:
        """Close a task with the catalog change it led to, or ``no_change`` and why."""
        return self._obj(
            "POST",
            f"/law-change-tasks/{task_id}/close",
            json=drop_none({"resolution": resolution, "reference": reference, "reason": reason}),
        )
