"""The client's side of ``/v1/demands`` (``api/routers/demands.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase, drop_none


class DemandsMixin(ClientBase):
    """Requests for data not yet open: submit, read, form review, answer, mark opened."""

    def submit_demand(
        self, description: str, dataset: str = "", provider_org_id: int | None = None
    ) -> JSON:
        """Ask for data not yet open (a user)."""
        return self._obj(
            "POST",
            "/demands",
            json=drop_none(
                {"description": description, "dataset": dataset, "provider_org_id": provider_org_id}
            ),
        )

    def list_demands(self, status: str | None = None) -> list[JSON]:
        """The requests for unopened data you may see, newest first."""
        return self._list("GET", "/demands", params=drop_none({"status": status}))

    def get_demand(self, demand_id: int) -> JSON:
        """One request with its stages, deadlines and time left."""
        return self._obj("GET", f"/demands/{demand_id}")

    def review_demand_form(
        self, demand_id: int, passed: bool, reason: str = "", provider_org_id: int | None = None
    ) -> JSON:
        """The authority's form review of a request; passing names the provider."""
        return self._obj(
            "POST",
            f"/demands/{demand_id}/form-review",
            json=drop_none(
                {
                    "outcome": "pass" if passed else "return",
                    "reason": reason,
                    "provider_org_id": provider_org_id,
                }
            ),
        )

    def answer_demand(
        self, demand_id: int, agree: bool, reason: str = "", legal_basis: str = ""
    ) -> JSON:
        """The provider's answer: agree, or refuse with the reason."""
        return self._obj(
            "POST",
            f"/demands/{demand_id}/answer",
            json={
                "outcome": "agree" if agree else "refuse",
                "reason": reason,
                "legal_basis": legal_basis,
            },
        )

    def mark_demand_opened(self, demand_id: int, dataset: str) -> JSON:
        """Record that the requested data is open as catalog dataset ``dataset``."""
        return self._obj("POST", f"/demands/{demand_id}/opened", json={"dataset": dataset})
