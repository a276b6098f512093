"""The client's side of budgets: a grant's own (``GET /v1/grants/{id}/budget``,
``api/routers/grants.py``) and a dataset's accounts (``GET /v1/budgets/{name}``,
``api/routers/policies.py``).
"""

from __future__ import annotations

from sandbox_client._http import JSON, ClientBase


class BudgetsMixin(ClientBase):
    """Privacy budgets: what a grant spent and has left, and a dataset's accounts."""

    def grant_budget(self, grant_id: int) -> JSON:
        """A grant's budget per dataset: ``limit``, ``spent``, ``remaining``, each charge
        (``job_id``, ``call``, ``purpose``, ``cost``, ``charged_at``) and
        ``lifetime_remaining`` where the dataset's policy shows it (else ``None``).

        Its holder, its provider and oversight may read it; anyone else gets 404.
        """
        return self._obj("GET", f"/grants/{grant_id}/budget")

    def dataset_budget(self, name: str) -> JSON:
        """A dataset's lifetime account and every grant's account on it (its provider and
        oversight only).
        """
        return self._obj("GET", f"/budgets/{name}")
