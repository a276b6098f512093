"""The client's side of ``/v1/stats`` (``api/routers/stats.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class StatsMixin(ClientBase):
    """The platform's published figures."""

    def stats(self) -> JSON:
        """The platform's figures."""
        return self._obj("GET", "/stats")
