"""The client's side of the policy endpoints (``api/routers/policies.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox_client._http import JSON, ClientBase


def _document(document: Mapping[str, Any] | str) -> dict[str, Any]:
    """The body of a policy ``PUT``: the document as a mapping, or its YAML/JSON text."""
    return {"document": dict(document) if isinstance(document, Mapping) else document}


class PoliciesMixin(ClientBase):
    """Policies: the authority's floor, and each dataset's (its own and the effective one)."""

    def get_floor(self) -> JSON:
        """The platform floor in force (every account may read it)."""
        return self._obj("GET", "/policies/floor")

    def set_floor(self, document: Mapping[str, Any] | str) -> JSON:
        """Set the platform floor (authority): ``floor``, and the ``overridden_datasets``
        whose own policy it now overrides.
        """
        return self._obj("PUT", "/policies/floor", json=_document(document))

    def get_dataset_policy(self, name: str) -> JSON:
        """A dataset's floor, own and effective policy."""
        return self._obj("GET", f"/datasets/{name}/policy")

    def set_dataset_policy(self, name: str, document: Mapping[str, Any] | str) -> JSON:
        """Set a dataset's policy (its provider): a mapping, or YAML/JSON text."""
        return self._obj("PUT", f"/datasets/{name}/policy", json=_document(document))
