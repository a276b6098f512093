"""The client's side of ``/v1/users`` (``api/routers/users.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class UsersMixin(ClientBase):
    """Accounts: create, read, record eligibility facts, deactivate."""

    def create_user(
        self,
        username: str,
        role: str,
        *,
        display_name: str = "",
        organisation_id: int | None = None,
        with_token: bool = True,
        password: str | None = None,
    ) -> JSON:
        """Create an account (admin); the answer's ``token`` is its first secret, shown once.
        ``password``: an initial sign-in password (the server's policy applies).
        """
        body = {
            "username": username,
            "role": role,
            "display_name": display_name,
            "organisation_id": organisation_id,
            "with_token": with_token,
        }
        if password is not None:
            body["password"] = password
        return self._obj("POST", "/users", json=body)

    def list_users(self) -> list[JSON]:
        """Every account (admin, authority, auditor)."""
        return self._list("GET", "/users")

    def me(self) -> JSON:
        """The account this client's token belongs to."""
        return self._obj("GET", "/users/me")

    def get_user(self, user_id: int) -> JSON:
        """One account: your own, or any for admin, authority and auditor."""
        return self._obj("GET", f"/users/{user_id}")

    def set_eligibility(self, user_id: int, fact: str, value: str, note: str = "") -> JSON:
        """Record an eligibility fact on an account (authority or admin)."""
        return self._obj(
            "POST",
            f"/users/{user_id}/eligibility",
            json={"fact": fact, "value": value, "note": note},
        )

    def deactivate_user(self, user_id: int) -> JSON:
        """Disable an account; its tokens stop working at once (admin)."""
        return self._obj("POST", f"/users/{user_id}/deactivate")
