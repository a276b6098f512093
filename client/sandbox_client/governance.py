"""The client's side of catalog governance (``api/routers/governance.py``): security grades
and their policy levels, the authority's publication review of submitted versions, annual
quality assessments and update reminders.

A new dataset (``register_dataset``; its metadata may carry the proposed ``grade``) and a
new version are *submitted*: they are used only once the authority passes them with
:meth:`GovernanceMixin.review_version`.
"""

from __future__ import annotations

from typing import Any

from sandbox_client._http import JSON, ClientBase, drop_none


class GovernanceMixin(ClientBase):
    """Grades, publication reviews, quality assessments and update reminders."""

    # ---- grades ----------------------------------------------------------------------------

    def grade_levels(self) -> list[JSON]:
        """Each grade with its policy level (shipped, the authority's, in force)."""
        return self._list("GET", "/grades")

    def set_grade_level(self, grade: str, document: dict[str, Any] | str) -> JSON:
        """Tighten a grade's policy level with a policy document (authority)."""
        return self._obj("PUT", f"/policies/grades/{grade}", json={"document": document})

    def dataset_grade(self, name: str) -> JSON:
        """A dataset's approved, proposed and in-force grade."""
        return self._obj("GET", f"/datasets/{name}/grade")

    def propose_grade(self, name: str, grade: str, reason: str = "") -> JSON:
        """Propose your dataset's grade (provider); the authority approves it."""
        return self._obj("PUT", f"/datasets/{name}/grade", json={"grade": grade, "reason": reason})

    def decide_grade(
        self, name: str, approve: bool, grade: str | None = None, note: str = ""
    ) -> JSON:
        """Approve (or set ``grade`` instead, with a note) or reject a proposal (authority)."""
        return self._obj(
            "POST",
            f"/datasets/{name}/grade/decision",
            json=drop_none({"approve": approve, "grade": grade, "note": note}),
        )

    def grade_proposals(self) -> list[JSON]:
        """Datasets whose grade waits for the authority."""
        return self._list("GET", "/grade-proposals")

    # ---- publication review ----------------------------------------------------------------

    def publication_reviews(self, status: str = "submitted") -> list[JSON]:
        """Versions in a review state (``submitted``, ``passed``, ``returned``, ``all``)."""
        return self._list("GET", "/publication-reviews", params={"status": status})

    def version_review(self, name: str, version: int) -> JSON:
        """One version's publication review with its deadline."""
        return self._obj("GET", f"/datasets/{name}/versions/{version}/review")

    def review_version(
        self,
        name: str,
        version: int,
        outcome: str,
        reason: str = "",
        grade: str | None = None,
    ) -> JSON:
        """Pass (``outcome="pass"``, approving ``grade`` on a first pass) or return (with the
        ``reason``) a submitted version (authority).
        """
        return self._obj(
            "POST",
            f"/datasets/{name}/versions/{version}/review",
            json=drop_none({"outcome": outcome, "reason": reason, "grade": grade}),
        )

    def resubmit_version(self, name: str, version: int, note: str = "") -> JSON:
        """Submit a returned version again (provider)."""
        return self._obj(
            "POST", f"/datasets/{name}/versions/{version}/resubmission", json={"note": note}
        )

    # ---- quality duties --------------------------------------------------------------------

    def open_quality_assessment(
        self, name: str, year: int | None = None, request: str = ""
    ) -> JSON:
        """Open a dataset's annual quality assessment (authority)."""
        return self._obj(
            "POST",
            f"/datasets/{name}/quality-assessments",
            json=drop_none({"year": year, "request": request}),
        )

    def quality_assessments(
        self, status: str | None = None, dataset: str | None = None
    ) -> list[JSON]:
        """Quality assessments, newest first."""
        return self._list(
            "GET",
            "/quality-assessments",
            params=drop_none({"status": status, "dataset": dataset}),
        )

    def quality_assessment(self, assessment_id: int) -> JSON:
        """One quality assessment."""
        return self._obj("GET", f"/quality-assessments/{assessment_id}")

    def answer_quality_assessment(
        self, assessment_id: int, version: int | None = None, note: str = ""
    ) -> JSON:
        """Answer an assessment (or its rectification) with a version's quality report."""
        return self._obj(
            "POST",
            f"/quality-assessments/{assessment_id}/answer",
            json=drop_none({"version": version, "note": note}),
        )

    def conclude_quality_assessment(
        self, assessment_id: int, conclusion: str, note: str = ""
    ) -> JSON:
        """Conclude an answered assessment: ``satisfactory`` or ``rectify`` (authority)."""
        return self._obj(
            "POST",
            f"/quality-assessments/{assessment_id}/conclusion",
            json={"conclusion": conclusion, "note": note},
        )

    def sweep_update_reminders(self, lead_working_days: int = 5) -> list[JSON]:
        """Send the update reminders now due (authority, admin); returns those sent."""
        return self._list(
            "POST", "/update-reminders/sweep", json={"lead_working_days": lead_working_days}
        )

    def update_reminders(self, dataset: str | None = None) -> list[JSON]:
        """Update reminders sent, newest first."""
        return self._list("GET", "/update-reminders", params=drop_none({"dataset": dataset}))
