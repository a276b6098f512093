"""The client's side of dataset ratings and comments (``api/routers/feedback.py``)."""

from __future__ import annotations

from urllib.parse import quote

from sandbox_client._http import JSON, ClientBase


class FeedbackMixin(ClientBase):
    """Rate and comment on datasets; moderate the comments on your own (a provider)."""

    def rate_dataset(self, name: str, stars: int) -> JSON:
        """Rate a dataset 1-5; rating again changes your rating."""
        return self._obj("PUT", f"/datasets/{quote(name, safe='')}/rating", json={"stars": stars})

    def dataset_feedback(self, name: str) -> JSON:
        """The average rating and count, approved comments, and your own."""
        return self._obj("GET", f"/datasets/{quote(name, safe='')}/feedback")

    def comment_on_dataset(self, name: str, text: str) -> JSON:
        """Comment on a dataset; it is shown once the dataset's provider approved it."""
        return self._obj("POST", f"/datasets/{quote(name, safe='')}/comments", json={"text": text})

    def comment_moderation_queue(self, status: str = "pending") -> list[JSON]:
        """The comments on your organisation's datasets in ``status`` (a provider)."""
        return self._list("GET", "/comments/moderation", params={"status": status})

    def moderate_comment(self, comment_id: int, outcome: str, reason: str = "") -> JSON:
        """``approve`` a comment, or ``hide`` it with a reason (a provider)."""
        return self._obj(
            "POST",
            f"/comments/{comment_id}/moderation",
            json={"outcome": outcome, "reason": reason},
        )
