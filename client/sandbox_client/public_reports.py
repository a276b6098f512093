"""The client's side of ``/v1/public-reports`` (``api/routers/public_reports.py``)."""

from __future__ import annotations

from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none


class PublicReportsMixin(ClientBase):
    """Reports of misuse and of security problems, and their answers."""

    def file_public_report(
        self,
        kind: Literal["misuse", "security"],
        description: str,
        *,
        dataset: str | None = None,
        product_id: int | None = None,
        contact: str = "",
    ) -> JSON:
        """Report misuse of a dataset or product, or a security problem (a client without
        a token files as a visitor and must give ``contact``).
        """
        return self._obj(
            "POST",
            "/public-reports",
            json=drop_none(
                {
                    "kind": kind,
                    "description": description,
                    "dataset": dataset,
                    "product_id": product_id,
                    "contact": contact,
                }
            ),
        )

    def list_public_reports(self, status: str | None = None, kind: str | None = None) -> list[JSON]:
        """The reports you see, newest first."""
        return self._list(
            "GET", "/public-reports", params=drop_none({"status": status, "kind": kind})
        )

    def get_public_report(self, report_id: int) -> JSON:
        """One report with its answer stage."""
        return self._obj("GET", f"/public-reports/{report_id}")

    def answer_public_report(
        self,
        report_id: int,
        outcome: Literal["unfounded", "resolved", "complaint", "rectification"],
        answer: str,
        *,
        complaint_kind: str | None = None,
        user_id: int | None = None,
    ) -> JSON:
        """Answer a report (its provider, or the authority)."""
        return self._obj(
            "POST",
            f"/public-reports/{report_id}/answer",
            json=drop_none(
                {
                    "outcome": outcome,
                    "answer": answer,
                    "complaint_kind": complaint_kind,
                    "user_id": user_id,
                }
            ),
        )
