"""Producing notifications and reading one's own inbox.

:func:`notify` is the one call every producer makes, in the transaction of the event it
tells of: the inbox rows and the e-mails are written with the event or not at all, and the
e-mails go out only after the commit (:mod:`sandbox.notifications.delivery`), so a slow or
broken mail server never delays or fails the request that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.notifications.model import (
    Inbox,
    Language,
    Notification,
    NotificationKind,
    OutboxStatus,
    Subject,
)
from sandbox.notifications.preferences import email_wanted, language_of
from sandbox.notifications.texts import check_params, render, text_of
from sandbox.store.models import EmailOutboxRow, NotificationRow, UserRow

MAX_PAGE = 200


def notify(
    session: Session,
    recipients: Iterable[int | None],
    key: str,
    *,
    subject: tuple[str, str | int],
    params: Mapping[str, str | int],
    dedupe: str | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Put notification ``key`` in each recipient's inbox and queue its e-mails.

    ``recipients`` are user ids (``None`` and repeats are dropped, so a producer may pass
    an event's actors as they are); ``subject`` is ``(type, id)`` of what it is about;
    ``params`` fill the text's fields (:mod:`sandbox.notifications.texts`: ids, names,
    dates, never data). With ``dedupe``, an account already notified under that key is
    skipped (a sweep that runs again notifies nobody twice). Returns the new rows' ids.
    """
    text = text_of(key)
    checked = check_params(key, params)
    moment = now or utc_now()
    made: list[int] = []
    for user_id in dict.fromkeys(r for r in recipients if r is not None):
        if dedupe is not None and _already(session, user_id, dedupe):
            continue
        user = session.get(UserRow, user_id)
        if user is None:
            continue
        row = NotificationRow(
            recipient_id=user_id,
            kind=str(text.kind),
            text_key=key,
            subject_type=subject[0],
            subject_id=str(subject[1]),
            params=checked,
            created_at=moment,
            read_at=None,
            dedupe_key=dedupe,
        )
        session.add(row)
        session.flush()
        made.append(row.id)
        if user.active and user.email and email_wanted(session, user_id, text.kind):
            language = language_of(session, user_id)
            title, body = render(key, checked, language)
            session.add(
                EmailOutboxRow(
                    notification_id=row.id,
                    recipient_id=user_id,
                    to_address=user.email,
                    language=str(language),
                    subject=title,
                    body=body,
                    status=str(OutboxStatus.QUEUED),
                    attempts=0,
                    created_at=moment,
                    next_attempt_at=moment,
                    last_error="",
                )
            )
    session.flush()
    return made


def _already(session: Session, user_id: int, dedupe: str) -> bool:
    found = session.execute(
        select(NotificationRow.id).where(
            NotificationRow.recipient_id == user_id, NotificationRow.dedupe_key == dedupe
        )
    ).first()
    return found is not None


def _own(actor: Actor) -> int:
    if actor.user_id is None:
        raise InvalidRequest("the local operator has no inbox; act as an account")
    return actor.user_id


def _view(
    session: Session, row: NotificationRow, actor_id: int, language: Language | None = None
) -> Notification:
    words = language or language_of(session, actor_id)
    title, body = render(row.text_key, row.params, words)
    return Notification(
        id=row.id,
        kind=NotificationKind(row.kind),
        key=row.text_key,
        subject=Subject(type=row.subject_type, id=row.subject_id),
        title=title,
        body=body,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def unread_count(session: Session, actor: Actor) -> int:
    """How many of ``actor``'s notifications are unread (the console's badge)."""
    if actor.user_id is None:
        return 0
    count = session.execute(
        select(func.count(NotificationRow.id)).where(
            NotificationRow.recipient_id == actor.user_id, NotificationRow.read_at.is_(None)
        )
    ).scalar_one()
    return int(count)


def inbox(
    session: Session,
    actor: Actor,
    *,
    unread_only: bool = False,
    kind: NotificationKind | None = None,
    limit: int = 50,
    offset: int = 0,
    language: Language | None = None,
) -> Inbox:
    """A page of ``actor``'s own notifications, newest first, in ``language`` (default:
    the account's notification language; the console passes the page's).
    """
    user_id = _own(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be from 1 to {MAX_PAGE}")
    if offset < 0:
        raise InvalidRequest("offset must not be negative")
    where = [NotificationRow.recipient_id == user_id]
    if unread_only:
        where.append(NotificationRow.read_at.is_(None))
    if kind is not None:
        where.append(NotificationRow.kind == str(kind))
    total = session.execute(select(func.count(NotificationRow.id)).where(*where)).scalar_one()
    rows = session.execute(
        select(NotificationRow)
        .where(*where)
        .order_by(NotificationRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return Inbox(
        data=tuple(_view(session, row, user_id, language) for row in rows),
        count=int(total),
        unread=unread_count(session, actor),
    )


def mark_read(
    session: Session, actor: Actor, notification_id: int, *, now: datetime | None = None
) -> Notification:
    """Mark one of ``actor``'s notifications read (again: no change). Another account's
    notification is not found, exactly like one that does not exist.
    """
    user_id = _own(actor)
    row = session.get(NotificationRow, notification_id, with_for_update=True)
    if row is None or row.recipient_id != user_id:
        raise NotFound(f"you have no notification {notification_id}")
    if row.read_at is None:
        row.read_at = now or utc_now()
        session.flush()
        audit.record(
            session,
            actor,
            "notification.read",
            object_type="notification",
            object_id=row.id,
            detail={"kind": row.kind},
        )
    return _view(session, row, user_id)


def mark_all_read(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """Mark every unread notification of ``actor`` read; returns how many were unread."""
    user_id = _own(actor)
    moment = now or utc_now()
    result = session.execute(
        update(NotificationRow)
        .where(NotificationRow.recipient_id == user_id, NotificationRow.read_at.is_(None))
        .values(read_at=moment)
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        audit.record(
            session,
            actor,
            "notification.read_all",
            object_type="user",
            object_id=user_id,
            detail={"count": changed},
        )
    return int(changed)
