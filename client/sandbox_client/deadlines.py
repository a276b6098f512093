"""The client's side of ``/v1/deadlines`` (``api/routers/deadlines.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase, drop_none


class DeadlinesMixin(ClientBase):
    """Open stages of applications and requests that are past their deadline."""

    def overdue(self, on: str | None = None) -> JSON:
        """Open stages past their deadline (authority, oversight): ``{"on", "data", ...}``."""
        return self._obj("GET", "/deadlines/overdue", params=drop_none({"on": on}))
