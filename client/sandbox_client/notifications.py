"""The client's side of the inbox (``api/routers/notifications.py``)."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox_client._http import JSON, ClientBase, drop_none


class NotificationsMixin(ClientBase):
    """Read your notifications, mark them read, and set your notification preferences."""

    def notifications(
        self,
        *,
        unread: bool = False,
        kind: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> JSON:
        """A page of your notifications, newest first: ``{"data", "count", "unread"}``."""
        params = drop_none(
            {
                "unread": "true" if unread else None,
                "kind": kind,
                "offset": offset,
                "limit": limit,
            }
        )
        return self._obj("GET", "/notifications", params=params)

    def mark_notification_read(self, notification_id: int) -> JSON:
        """Mark one of your notifications read."""
        return self._obj("POST", f"/notifications/{notification_id}/read")

    def mark_all_notifications_read(self) -> JSON:
        """Mark every unread notification of yours read: ``{"marked", "unread"}``."""
        return self._obj("POST", "/notifications/read-all")

    def notification_preferences(self) -> JSON:
        """Your notification language and e-mail choice per kind."""
        return self._obj("GET", "/notifications/preferences")

    def set_notification_preferences(
        self, *, language: str | None = None, email: Mapping[str, bool] | None = None
    ) -> JSON:
        """Change your language (``zh``, ``en``) and/or e-mail per kind (``{"decision":
        False}``); kinds not named keep their setting.
        """
        body: dict[str, object] = {"email": dict(email or {})}
        if language is not None:
            body["language"] = language
        return self._obj("PUT", "/notifications/preferences", json=body)
