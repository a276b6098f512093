"""The client's side of ``/v1/opening-plans`` and ``/v1/public/opening-plans``
(``api/routers/opening_plan.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none


class OpeningPlansMixin(ClientBase):
    """Opening plans (open responsibility lists): draft, submit, publish, read."""

    def add_plan_entry(
        self,
        organisation_id: int,
        year: int,
        dataset: str,
        title: str,
        due_on: date | str,
        open_attribute: Literal["unconditional", "conditional"] = "unconditional",
    ) -> JSON:
        """Add a dataset (registered or not yet) to an organisation's plan for ``year``;
        returns the plan.
        """
        return self._obj(
            "POST",
            "/opening-plans/entries",
            json={
                "organisation_id": organisation_id,
                "year": year,
                "dataset": dataset,
                "title": title,
                "open_attribute": open_attribute,
                "due_on": due_on if isinstance(due_on, str) else due_on.isoformat(),
            },
        )

    def remove_plan_entry(self, plan_id: int, entry_id: int, reason: str = "") -> JSON:
        """Take an entry out of a plan (a published one: the authority, with a reason)."""
        return self._obj(
            "POST", f"/opening-plans/{plan_id}/entries/{entry_id}/remove", json={"reason": reason}
        )

    def submit_plan(self, plan_id: int) -> JSON:
        """Submit your organisation's draft plan for the authority's review."""
        return self._obj("POST", f"/opening-plans/{plan_id}/submit")

    def decide_plan(
        self, plan_id: int, outcome: Literal["publish", "return"], note: str = ""
    ) -> JSON:
        """Publish a plan or return it to draft with ``note`` (the authority)."""
        return self._obj(
            "POST", f"/opening-plans/{plan_id}/decision", json={"outcome": outcome, "note": note}
        )

    def list_plans(
        self,
        year: int | None = None,
        organisation_id: int | None = None,
        status: str | None = None,
    ) -> list[JSON]:
        """The plans you see, newest year first."""
        return self._list(
            "GET",
            "/opening-plans",
            params=drop_none({"year": year, "organisation_id": organisation_id, "status": status}),
        )

    def get_plan(self, plan_id: int) -> JSON:
        """One plan with each entry's progress."""
        return self._obj("GET", f"/opening-plans/{plan_id}")

    def public_plans(
        self, year: int | None = None, organisation_id: int | None = None
    ) -> list[JSON]:
        """The published plans (needs no token)."""
        return self._list(
            "GET",
            "/public/opening-plans",
            params=drop_none({"year": year, "organisation_id": organisation_id}),
        )
