"""The client's side of ``/v1/organisations`` (``api/routers/organisations.py``)."""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class OrganisationsMixin(ClientBase):
    """Organisations: the bodies accounts belong to (providers, users, authorities)."""

    def create_organisation(self, name: str, kind: str) -> JSON:
        """Create an organisation (admin); ``kind`` is provider, user, authority or other."""
        return self._obj("POST", "/organisations", json={"name": name, "kind": kind})

    def list_organisations(self) -> list[JSON]:
        """Every organisation."""
        return self._list("GET", "/organisations")
