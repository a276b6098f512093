"""The client's side of ``/v1/sessions`` and ``/v1/accounts`` (``api/routers/sessions.py``,
``accounts.py``), and of password changes.

A program normally holds an API token. :meth:`SessionsMixin.sign_in` is for a person
without one: it signs in with a login and password, after which the connection carries the
session cookie and sends the session's CSRF token with every request (the server requires
it of each unsafe request a cookie authenticates), as the console's pages do.
"""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase

CSRF_HEADER = "X-CSRF-Token"


class SessionsMixin(ClientBase):
    """Sign in and out, who am I, register an account, set passwords."""

    def sign_in(self, username: str, password: str) -> JSON:
        """Sign in with a password; this client then acts as that account (cookie + CSRF).

        Returns the who-am-I answer (``user``, ``roles``, ``may_apply``, ``expires_at``...).
        """
        session = self._obj("POST", "/sessions", json={"username": username, "password": password})
        self._http.headers[CSRF_HEADER] = str(session["csrf_token"])
        return session

    def sign_out(self) -> None:
        """End this client's session on the server (nothing to end with a bearer token)."""
        self._send("DELETE", "/sessions/current")
        self._http.headers.pop(CSRF_HEADER, None)
        self._http.cookies.clear()

    def current_session(self) -> JSON:
        """Who this client is: account, roles, eligibility and what applying still needs."""
        return self._obj("GET", "/sessions/current")

    def register_account(
        self, username: str, password: str, *, display_name: str, email: str, organisation: str = ""
    ) -> JSON:
        """Register an account (no sign-in needed). The answer is the same whether the login
        was free or taken; sign in to find out.
        """
        body = {
            "username": username,
            "password": password,
            "display_name": display_name,
            "email": email,
            "organisation": organisation,
        }
        return self._obj("POST", "/accounts", json=body)

    def change_password(self, new_password: str, current_password: str | None = None) -> JSON:
        """Set your own sign-in password (the current one once one is set); every session
        of the account ends (a signed-in client gets a new one and keeps working).
        """
        body = {"current_password": current_password, "new_password": new_password}
        answer = self._obj("PUT", "/users/me/password", json=body)
        if answer.get("csrf_token"):
            self._http.headers[CSRF_HEADER] = str(answer["csrf_token"])
        return answer

    def set_user_password(self, user_id: int, new_password: str) -> JSON:
        """Set (reset) an account's sign-in password (admin); its sessions all end."""
        return self._obj("PUT", f"/users/{user_id}/password", json={"new_password": new_password})
