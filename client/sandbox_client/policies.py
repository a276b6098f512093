"""The client's side of the policy endpoints (``api/routers/policies.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox_client._http import JSON, ClientBase


class PoliciesMixin(ClientBase):
    """A dataset's policy: the floor, its own and the effective one; set by its provider."""

    def get_dataset_policy(self, name: str) -> JSON:
        """A dataset's floor, own and effective policy."""
        return self._obj("GET", f"/datasets/{name}/policy")

    def set_dataset_policy(self, name: str, document: Mapping[str, Any] | str) -> JSON:
        """Set a dataset's policy (its provider): a mapping, or YAML/JSON text."""
        body = dict(document) if isinstance(document, Mapping) else document
        return self._obj("PUT", f"/datasets/{name}/policy", json={"document": body})
