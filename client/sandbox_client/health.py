"""The client's side of ``/v1/health`` (``api/routers/health.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class HealthMixin(ClientBase):
    """Liveness, the one call that needs no token."""

    def health(self) -> JSON:
        """Liveness; needs no token."""
        return self._obj("GET", "/health")
