"""The client's side of ``/v1/reviews`` and ``/v1/results`` (``api/routers/reviews.py``)."""

from __future__ import annotations

import os
from pathlib import Path

from sandbox_client._http import JSON, ClientBase, drop_none


class ReviewsMixin(ClientBase):
    """The review queue and its decisions; released results for their owner."""

    def review_queue(self) -> list[JSON]:
        """Results waiting for your review (reviewers and providers; all for oversight)."""
        return self._list("GET", "/reviews")

    def get_review(self, job_id: int) -> JSON:
        """A result under review: source, parameters, result, check report, budget spent,
        earlier releases of the same user.
        """
        return self._obj("GET", f"/reviews/{job_id}")

    def decide_review(self, job_id: int, outcome: str, reason: str = "") -> JSON:
        """``approve``, ``reject`` (with a reason) or ``return`` for changes (with one)."""
        return self._obj(
            "POST", f"/reviews/{job_id}/decision", json={"outcome": outcome, "reason": reason}
        )

    def log_review_queue(self) -> list[JSON]:
        """Held logs their authors asked to have reviewed (your organisation's; all for
        oversight); :meth:`get_review` shows one with its log and errors.
        """
        return self._list("GET", "/reviews/logs")

    def decide_log(self, job_id: int, outcome: str, reason: str = "") -> JSON:
        """``release`` a held log and errors to the job's author, or ``refuse`` (with a
        reason).
        """
        return self._obj(
            "POST", f"/reviews/{job_id}/log-decision", json={"outcome": outcome, "reason": reason}
        )

    def download_result(
        self,
        job_id: int,
        dest_path: str | os.PathLike[str] | None = None,
        *,
        format: str = "json",  # noqa: A002 - the API's name
        part: str | None = None,
    ) -> bytes:
        """A released result as JSON, CSV or Parquet bytes (also written to ``dest_path``
        when given).
        """
        response = self._send(
            "GET", f"/results/{job_id}", params=drop_none({"format": format, "part": part})
        )
        if dest_path is not None:
            Path(dest_path).write_bytes(response.content)
        return response.content
