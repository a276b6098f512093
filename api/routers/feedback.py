"""Ratings and comments on datasets by their users, moderated by the dataset's provider
(Lianyungang art. 18; Chengdu art. 35; Wuxi art. 26).
"""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, ReadSession, WriteSession
from api.errors import error_responses
from api.schemas.feedback import (
    CommentIn,
    CommentPublic,
    FeedbackPublic,
    ModerationIn,
    RatingIn,
    RatingPublic,
)
from api.types import Id
from sandbox.oversight import feedback
from sandbox.oversight.feedback import CommentStatus

router = APIRouter(tags=["feedback"])


@router.put("/datasets/{name}/rating", response_model=RatingPublic, responses=error_responses(404))
def rate(name: str, body: RatingIn, session: WriteSession, actor: ActorDep) -> RatingPublic:
    """Rate a dataset 1-5 (any account); rating again changes your rating."""
    return RatingPublic.model_validate(feedback.rate(session, actor, name, body.stars))


@router.get(
    "/datasets/{name}/feedback", response_model=FeedbackPublic, responses=error_responses(404)
)
def read_feedback(name: str, session: ReadSession, actor: ActorDep) -> FeedbackPublic:
    """A dataset's average rating and count, its approved comments, and your own rating
    and comments (with their moderation state).
    """
    return FeedbackPublic.model_validate(feedback.feedback(session, actor, name))


@router.post(
    "/datasets/{name}/comments",
    response_model=CommentPublic,
    status_code=201,
    responses=error_responses(404),
)
def comment(name: str, body: CommentIn, session: WriteSession, actor: ActorDep) -> CommentPublic:
    """Comment on a dataset (any account); shown publicly once its provider approved it."""
    return CommentPublic.model_validate(feedback.submit_comment(session, actor, name, body.text))


@router.get("/comments/moderation", response_model=list[CommentPublic])
def moderation_queue(
    session: ReadSession,
    actor: ActorDep,
    status: Annotated[CommentStatus, Query()] = CommentStatus.PENDING,
) -> list[CommentPublic]:
    """The comments on your organisation's datasets (a provider), pending by default."""
    found = feedback.moderation_queue(session, actor, status=str(status))
    return [CommentPublic.model_validate(c) for c in found]


@router.post(
    "/comments/{comment_id}/moderation",
    response_model=CommentPublic,
    responses=error_responses(404),
)
def moderate(
    comment_id: Id, body: ModerationIn, session: WriteSession, actor: ActorDep
) -> CommentPublic:
    """Approve a comment on your organisation's dataset, or hide it with a reason."""
    made = feedback.moderate(session, actor, comment_id, str(body.outcome), body.reason)
    return CommentPublic.model_validate(made)
