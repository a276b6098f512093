"""The client's side of ``/v1/enforcement`` (``api/routers/enforcement.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class EnforcementMixin(ClientBase):
    """A provider's rectification and termination of a user's grants on its data."""

    def request_rectification(self, user_id: int, reason: str) -> JSON:
        """Suspend a user's active grants on your data pending rectification (provider)."""
        return self._obj(
            "POST", "/enforcement/rectification", json={"user_id": user_id, "reason": reason}
        )

    def terminate_user(self, user_id: int, reason: str) -> JSON:
        """Revoke a user's suspended grants on your data (provider)."""
        return self._obj(
            "POST", "/enforcement/termination", json={"user_id": user_id, "reason": reason}
        )
