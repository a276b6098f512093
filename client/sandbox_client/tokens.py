"""The client's side of ``/v1/tokens`` (``api/routers/tokens.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase, drop_none


class TokensMixin(ClientBase):
    """API tokens: issue, list, revoke."""

    def create_token(
        self, name: str = "default", days: int = 90, user_id: int | None = None
    ) -> JSON:
        """Issue a token; the answer's ``token`` is the secret, shown this once."""
        return self._obj("POST", "/tokens", json={"name": name, "days": days, "user_id": user_id})

    def list_tokens(self, user_id: int | None = None) -> list[JSON]:
        """Your tokens' metadata (an admin may name another account)."""
        return self._list("GET", "/tokens", params=drop_none({"user_id": user_id}))

    def revoke_token(self, token_id: int) -> JSON:
        """Revoke a token at once."""
        return self._obj("DELETE", f"/tokens/{token_id}")
