"""Request and response schemas of dataset ratings and comments."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictInt

from api.schemas.common import FromDomain, Strict
from sandbox.oversight.feedback import (
    MAX_COMMENT_CHARS,
    MAX_REASON_CHARS,
    MAX_STARS,
    MIN_STARS,
    CommentStatus,
    Moderation,
)


class RatingIn(Strict):
    """Body of ``PUT /v1/datasets/{name}/rating``."""

    stars: StrictInt = Field(ge=MIN_STARS, le=MAX_STARS)


class RatingPublic(FromDomain):
    """Your rating of a dataset."""

    dataset: str
    stars: int
    rated_at: datetime


class CommentIn(Strict):
    """Body of ``POST /v1/datasets/{name}/comments``."""

    text: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS)


class ModerationIn(Strict):
    """Body of ``POST /v1/comments/{comment_id}/moderation``: ``hide`` needs a reason."""

    outcome: Moderation
    reason: str = Field(default="", max_length=MAX_REASON_CHARS)


class CommentPublic(FromDomain):
    """A comment with its moderation state (``reason`` is empty for approved comments
    shown to everyone).
    """

    id: int
    dataset: str
    author: str
    text: str
    status: CommentStatus
    submitted_at: datetime
    moderated_at: datetime | None
    reason: str


class FeedbackPublic(FromDomain):
    """What a dataset's users think of it: the average rating and count, the approved
    comments, and your own rating and comments.
    """

    dataset: str
    average_rating: float | None
    ratings: int
    my_rating: int | None
    comments: list[CommentPublic]
    my_comments: list[CommentPublic]
