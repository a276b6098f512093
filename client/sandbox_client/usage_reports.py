"""The client's side of ``/v1/usage-reports`` (``api/routers/usage_reports.py``)."""

from __future__ import annotations

from typing import Literal

from sandbox_client._http import JSON, ClientBase, drop_none


class UsageReportsMixin(ClientBase):
    """Usage and risk reports on grants, and when each is due."""

    def file_report(self, grant_id: int, kind: Literal["usage", "risk"], **fields: str) -> JSON:
        """File a report on your grant: ``use``/``results``/``benefits`` for ``usage``,
        ``data_used``/``processing``/``risks``/``measures`` for ``risk``.
        """
        return self._obj(
            "POST", "/usage-reports", json={"grant_id": grant_id, "kind": kind, **fields}
        )

    def list_reports(self, grant_id: int | None = None, kind: str | None = None) -> list[JSON]:
        """Reports on the grants you may see, newest first."""
        return self._list(
            "GET", "/usage-reports", params=drop_none({"grant_id": grant_id, "kind": kind})
        )

    def get_report(self, report_id: int) -> JSON:
        """One report."""
        return self._obj("GET", f"/usage-reports/{report_id}")

    def reports_due(self, missing: bool = False) -> JSON:
        """When each report is due: ``{"data", "count", "missing"}``."""
        return self._obj(
            "GET", "/usage-reports/due", params={"missing": "true" if missing else "false"}
        )
