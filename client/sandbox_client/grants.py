"""The client's side of ``/v1/grants`` (``api/routers/grants.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase, drop_none


class GrantsMixin(ClientBase):
    """Grants: read, accept the agreement, suspend, resume, revoke."""

    def list_grants(self, status: str | None = None) -> list[JSON]:
        """The grants you may see; ``status`` as of now (``expired`` finds lapsed ones)."""
        return self._list("GET", "/grants", params=drop_none({"status": status}))

    def get_grant(self, grant_id: int) -> JSON:
        """One grant, its status as of now."""
        return self._obj("GET", f"/grants/{grant_id}")

    def grant_agreement(self, grant_id: int) -> JSON:
        """The agreement to accept: ``version``, ``sha256`` and ``text``."""
        return self._obj("GET", f"/grants/{grant_id}/agreement")

    def accept_grant(
        self, grant_id: int, version: str | None = None, sha256: str | None = None
    ) -> JSON:
        """Accept the grant's agreement (its holder); without ``version``, the text in
        force is fetched first and its version and hash are accepted.
        """
        if version is None:
            shown = self.grant_agreement(grant_id)
            version, sha256 = str(shown["version"]), str(shown["sha256"])
        return self._obj(
            "POST",
            f"/grants/{grant_id}/accept",
            json=drop_none({"agreement_version": version, "agreement_sha256": sha256}),
        )

    def suspend_grant(self, grant_id: int, reason: str) -> JSON:
        """Suspend an active grant (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/suspend", json={"reason": reason})

    def resume_grant(self, grant_id: int, reason: str = "") -> JSON:
        """Resume a suspended grant (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/resume", json={"reason": reason})

    def revoke_grant(self, grant_id: int, reason: str) -> JSON:
        """Revoke a grant for good (a provider of its organisation)."""
        return self._obj("POST", f"/grants/{grant_id}/revoke", json={"reason": reason})
