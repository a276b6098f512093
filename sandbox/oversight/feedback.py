"""Ratings and comments on datasets by their users (Lianyungang art. 18; Chengdu art. 35;
Wuxi art. 26), moderated by the dataset's provider.

Every signed-in account sees every dataset's catalog entry, so every account may rate a
dataset (1 to 5 stars, one rating per account and dataset, changed by rating again) and
comment on it (at most :data:`MAX_COMMENT_CHARS`). A comment is shown publicly only once a
provider of the dataset's organisation approved it; until then only its author sees it
(with its state). The providers of that organisation moderate their queue: approve, or
hide with a reason (an approved comment may later be hidden, a hidden one approved).
Ratings, comments and moderation are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.catalog.permissions import owns, require_provider
from sandbox.catalog.publication import is_published, sees_unpublished
from sandbox.errors import Conflict, InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.oversight.common import clean_text, dataset_by_name, now_or, username
from sandbox.store.models import DatasetCommentRow, DatasetRatingRow, DatasetRow

MIN_STARS = 1
MAX_STARS = 5
MAX_COMMENT_CHARS = 2000
"""Longest comment accepted (characters, before stripping)."""
MAX_REASON_CHARS = 1000


class CommentStatus(StrEnum):
    """Where a comment stands in its provider's moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    HIDDEN = "hidden"


class Moderation(StrEnum):
    """A provider's decision on a comment."""

    APPROVE = "approve"
    HIDE = "hide"


@dataclass(frozen=True)
class Rating:
    """One account's rating of a dataset."""

    dataset: str
    stars: int
    rated_at: datetime


@dataclass(frozen=True)
class Comment:
    """A comment with its moderation state (the reason only for its author and provider)."""

    id: int
    dataset: str
    author: str
    text: str
    status: str
    submitted_at: datetime
    moderated_at: datetime | None
    reason: str


@dataclass(frozen=True)
class Feedback:
    """What a dataset's entry shows of its users' opinion."""

    dataset: str
    average_rating: float | None
    ratings: int
    my_rating: int | None
    comments: tuple[Comment, ...]
    """Approved comments, oldest first."""
    my_comments: tuple[Comment, ...]
    """The caller's own comments in any state."""


def _visible_dataset(session: Session, actor: Actor, name: str) -> DatasetRow:
    """The dataset named ``name`` if ``actor`` sees its entry: one the authority has not
    passed yet is unknown to all but its provider and oversight (Qingdao art. 10), so it
    can be neither rated nor commented on, and its feedback is not found.
    """
    row = dataset_by_name(session, name)
    if not sees_unpublished(actor, row.provider_org_id) and not is_published(session, row):
        raise NotFound(f"dataset {name!r} does not exist")
    return row


def _comment(row: DatasetCommentRow, dataset: str, author: str) -> Comment:
    return Comment(
        id=row.id,
        dataset=dataset,
        author=author,
        text=row.text,
        status=row.status,
        submitted_at=row.submitted_at,
        moderated_at=row.moderated_at,
        reason=row.reason,
    )


def rate(
    session: Session, actor: Actor, name: str, stars: int, *, now: datetime | None = None
) -> Rating:
    """Set ``actor``'s rating of dataset ``name`` (replacing an earlier one)."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not MIN_STARS <= stars <= MAX_STARS:
        raise InvalidRequest(f"stars must be a whole number from {MIN_STARS} to {MAX_STARS}")
    dataset = _visible_dataset(session, actor, name)
    at = now_or(now)
    row = session.execute(
        select(DatasetRatingRow)
        .where(
            DatasetRatingRow.dataset_id == dataset.id,
            DatasetRatingRow.user_id == actor.user_id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    before = None if row is None else row.stars
    if row is None:
        row = DatasetRatingRow(dataset_id=dataset.id, user_id=actor.user_id, stars=stars)
        session.add(row)
    row.stars = stars
    row.rated_at = at
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.rated",
        object_type="dataset",
        object_id=name,
        detail={"stars": stars, "before": before},
    )
    return Rating(dataset=name, stars=stars, rated_at=at)


def submit_comment(
    session: Session, actor: Actor, name: str, text: str, *, now: datetime | None = None
) -> Comment:
    """File a comment on dataset ``name``; it waits for its provider's approval."""
    cleaned = clean_text(text, "the comment", required=True, limit=MAX_COMMENT_CHARS)
    dataset = _visible_dataset(session, actor, name)
    row = DatasetCommentRow(
        dataset_id=dataset.id,
        author_id=actor.user_id,
        text=cleaned,
        status=str(CommentStatus.PENDING),
        submitted_at=now_or(now),
        reason="",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.comment_submitted",
        object_type="dataset_comment",
        object_id=row.id,
        detail={"dataset": name, "chars": len(cleaned)},
    )
    return _comment(row, name, actor.username)


def feedback(session: Session, actor: Actor, name: str) -> Feedback:
    """The average rating and count, the approved comments and the caller's own."""
    dataset = _visible_dataset(session, actor, name)
    average, count = session.execute(
        select(func.avg(DatasetRatingRow.stars), func.count()).where(
            DatasetRatingRow.dataset_id == dataset.id
        )
    ).one()
    mine = session.execute(
        select(DatasetRatingRow.stars).where(
            DatasetRatingRow.dataset_id == dataset.id,
            DatasetRatingRow.user_id == actor.user_id,
        )
    ).scalar_one_or_none()
    rows = session.execute(
        select(DatasetCommentRow)
        .where(DatasetCommentRow.dataset_id == dataset.id)
        .order_by(DatasetCommentRow.id)
    ).scalars()
    approved, own = [], []
    for row in rows:
        if row.status == CommentStatus.APPROVED:
            approved.append(_public(_comment(row, name, username(session, row.author_id) or "?")))
        if row.author_id == actor.user_id:
            own.append(_comment(row, name, actor.username))
    return Feedback(
        dataset=name,
        average_rating=None if average is None else round(float(average), 2),
        ratings=int(count),
        my_rating=mine,
        comments=tuple(approved),
        my_comments=tuple(own),
    )


def _public(comment: Comment) -> Comment:
    """An approved comment as everyone sees it (no moderation reason)."""
    return Comment(**{**comment.__dict__, "reason": ""})


def moderation_queue(
    session: Session, actor: Actor, *, status: str | None = None
) -> tuple[Comment, ...]:
    """The comments on the datasets of the caller's organisation (a provider), pending
    ones by default.
    """
    require_provider(actor, "moderate comments on datasets")
    wanted = parse_enum(CommentStatus, status or "pending", "status")
    rows = session.execute(
        select(DatasetCommentRow, DatasetRow.name)
        .join(DatasetRow, DatasetRow.id == DatasetCommentRow.dataset_id)
        .where(
            DatasetRow.provider_org_id == actor.organisation_id,
            DatasetCommentRow.status == str(wanted),
        )
        .order_by(DatasetCommentRow.id)
    ).all()
    return tuple(_comment(row, name, username(session, row.author_id) or "?") for row, name in rows)


def moderate(
    session: Session,
    actor: Actor,
    comment_id: int,
    outcome: str,
    reason: str = "",
    *,
    expected: str | None = None,
    now: datetime | None = None,
) -> Comment:
    """Approve a comment, or hide it with a reason (a provider of the dataset's
    organisation; a comment on another organisation's dataset is not found).

    ``expected`` is the state the moderator saw (a page of the queue): when another
    provider of the organisation moderated the comment meanwhile, the decision is refused
    (:class:`Conflict`) rather than silently replacing theirs.
    """
    require_provider(actor, "moderate comments on datasets")
    decision = parse_enum(Moderation, outcome, "outcome")
    why = clean_text(
        reason, "the reason", required=decision is Moderation.HIDE, limit=MAX_REASON_CHARS
    )
    found = session.execute(
        select(DatasetCommentRow, DatasetRow)
        .join(DatasetRow, DatasetRow.id == DatasetCommentRow.dataset_id)
        .where(DatasetCommentRow.id == comment_id)
        .with_for_update(of=DatasetCommentRow)
    ).one_or_none()
    if found is None or not owns(actor, found[1].provider_org_id):
        raise NotFound(f"comment {comment_id} does not exist")
    row, dataset = found
    before = row.status
    if expected is not None and before != str(parse_enum(CommentStatus, expected, "expected")):
        raise Conflict(f"comment {comment_id} is already {before}: it was moderated meanwhile")
    row.status = str(
        CommentStatus.APPROVED if decision is Moderation.APPROVE else CommentStatus.HIDDEN
    )
    row.reason = why
    row.moderated_by = actor.user_id
    row.moderated_at = now_or(now)
    session.flush()
    audit.record(
        session,
        actor,
        "dataset.comment_moderated",
        object_type="dataset_comment",
        object_id=row.id,
        detail={"dataset": dataset.name, "outcome": str(decision), "before": before},
    )
    return _comment(row, dataset.name, username(session, row.author_id) or "?")
