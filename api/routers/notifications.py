"""The inbox: your own notifications, marking them read, and your preferences.

Every account has an inbox; nobody reads another's (another account's notification is a
404, exactly like one that does not exist).
"""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ActorDep, ReadSession, WriteSession
from api.errors import error_responses
from api.schemas.notifications import (
    InboxPublic,
    NotificationPublic,
    PreferencesIn,
    PreferencesPublic,
    ReadAllPublic,
)
from api.types import Id, Offset
from sandbox import notifications
from sandbox.notifications import NotificationKind
from sandbox.notifications.inbox import MAX_PAGE

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=InboxPublic)
def list_notifications(
    session: ReadSession,
    actor: ActorDep,
    unread: bool = False,
    kind: Annotated[NotificationKind | None, Query()] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> InboxPublic:
    """Your notifications, newest first; ``unread=true`` for the unread ones only."""
    page = notifications.inbox(
        session, actor, unread_only=unread, kind=kind, limit=limit, offset=offset
    )
    return InboxPublic.model_validate(page)


@router.post("/read-all", response_model=ReadAllPublic)
def read_all(session: WriteSession, actor: ActorDep) -> ReadAllPublic:
    """Mark every unread notification of yours read."""
    marked = notifications.mark_all_read(session, actor)
    return ReadAllPublic(marked=marked, unread=notifications.unread_count(session, actor))


@router.get("/preferences", response_model=PreferencesPublic)
def read_preferences(session: ReadSession, actor: ActorDep) -> PreferencesPublic:
    """Your notification language and e-mail choice per kind."""
    return PreferencesPublic.model_validate(notifications.preferences(session, actor))


@router.put("/preferences", response_model=PreferencesPublic)
def set_preferences(
    body: PreferencesIn, session: WriteSession, actor: ActorDep
) -> PreferencesPublic:
    """Change your language and/or e-mail per kind (the inbox always receives every kind)."""
    changed = notifications.set_preferences(
        session,
        actor,
        language=None if body.language is None else str(body.language),
        email={str(kind): wanted for kind, wanted in body.email.items()},
    )
    return PreferencesPublic.model_validate(changed)


@router.post(
    "/{notification_id}/read", response_model=NotificationPublic, responses=error_responses(404)
)
def read_one(notification_id: Id, session: WriteSession, actor: ActorDep) -> NotificationPublic:
    """Mark one of your notifications read."""
    return NotificationPublic.model_validate(
        notifications.mark_read(session, actor, notification_id)
    )
