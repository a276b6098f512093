"""The client's side of ``/v1/data-products`` (``api/routers/data_products.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox_client._http import JSON, ClientBase, drop_none


class DataProductsMixin(ClientBase):
    """Data products made from opened data: publish and read."""

    def publish_data_product(
        self,
        title: str,
        sources: list[str | Mapping[str, Any]],
        *,
        description: str = "",
        grant_id: int | None = None,
        payload: Any = None,
        job_id: int | None = None,
    ) -> JSON:
        """Publish a data product (a user); ``sources`` are dataset names or
        ``{"dataset", "version"}`` mappings; with ``job_id`` the product publishes that
        released result (sources may then be empty).
        """
        listed = [{"dataset": s} if isinstance(s, str) else dict(s) for s in sources]
        return self._obj(
            "POST",
            "/data-products",
            json=drop_none(
                {
                    "title": title,
                    "description": description,
                    "sources": listed,
                    "grant_id": grant_id,
                    "payload": payload,
                    "job_id": job_id,
                }
            ),
        )

    def list_data_products(self, dataset: str | None = None) -> list[JSON]:
        """Published products (without payloads), newest first."""
        return self._list("GET", "/data-products", params=drop_none({"dataset": dataset}))

    def get_data_product(self, product_id: int) -> JSON:
        """One product with its payload."""
        return self._obj("GET", f"/data-products/{product_id}")

    def public_data_products(self, dataset: str | None = None) -> list[JSON]:
        """Published products with their sources and dates, as everyone sees them (needs
        no token; never a payload).
        """
        return self._list("GET", "/public/data-products", params=drop_none({"dataset": dataset}))
