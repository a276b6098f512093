"""The client's side of ``/v1/applications`` (``api/routers/applications.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox_client._http import JSON, ClientBase, drop_none


class ApplicationsMixin(ClientBase):
    """Applications for conditional data: submit, read, form review, the provider's decision."""

    def submit_application(
        self,
        *,
        title: str,
        reason: str,
        datasets: list[str],
        period_start: str,
        period_end: str,
        results_form: str,
        scenario: str,
        security_measures: str,
        commitment_signed: bool,
        type: str = "dataset",  # noqa: A002
    ) -> JSON:
        """Apply for conditional datasets (an eligible user). Dates are ``YYYY-MM-DD``."""
        return self.submit_application_fields(
            {
                "title": title,
                "reason": reason,
                "type": type,
                "datasets": datasets,
                "period_start": period_start,
                "period_end": period_end,
                "results_form": results_form,
                "scenario": scenario,
                "security_measures": security_measures,
                "commitment_signed": commitment_signed,
            }
        )

    def submit_application_fields(self, fields: Mapping[str, Any]) -> JSON:
        """Apply with the application's fields as a mapping (say, read from a JSON file)."""
        return self._obj("POST", "/applications", json=dict(fields))

    def list_applications(self, status: str | None = None) -> list[JSON]:
        """The applications you may see, newest first."""
        return self._list("GET", "/applications", params=drop_none({"status": status}))

    def get_application(self, application_id: int) -> JSON:
        """One application with its stages, deadlines and time left."""
        return self._obj("GET", f"/applications/{application_id}")

    def review_application_form(self, application_id: int, passed: bool, reason: str = "") -> JSON:
        """The authority's form review: pass, or return with the reason."""
        return self._obj(
            "POST",
            f"/applications/{application_id}/form-review",
            json={"outcome": "pass" if passed else "return", "reason": reason},
        )

    def approve_application(
        self,
        application_id: int,
        *,
        grant_budget: float | str | Mapping[str, Any],
        datasets: list[str] | None = None,
        job_kinds: list[str] | None = None,
        policy: Mapping[str, Any] | str | None = None,
        period_start: str | None = None,
        period_end: str | None = None,
        note: str = "",
    ) -> JSON:
        """Approve with a scope (the datasets' provider); the answer names the new grant."""
        body = drop_none(
            {
                "outcome": "approve",
                "reason": note,
                "grant_budget": grant_budget,
                "datasets": datasets,
                "job_kinds": job_kinds,
                "policy": policy,
                "period_start": period_start,
                "period_end": period_end,
            }
        )
        return self._obj("POST", f"/applications/{application_id}/decision", json=body)

    def refuse_application(self, application_id: int, *, reason: str, legal_basis: str) -> JSON:
        """Refuse with the reason and its legal basis (the datasets' provider)."""
        return self._obj(
            "POST",
            f"/applications/{application_id}/decision",
            json={"outcome": "refuse", "reason": reason, "legal_basis": legal_basis},
        )
