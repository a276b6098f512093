"""Each account's notification preferences: its language, and e-mail on or off per kind.

The inbox always receives every kind (an account cannot miss a decision by switching it
off); e-mail is the account's choice per kind, defaulting to
:data:`sandbox.notifications.model.EMAIL_DEFAULTS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest, NotFound
from sandbox.identity.model import Actor
from sandbox.notifications.model import (
    DEFAULT_LANGUAGE,
    EMAIL_DEFAULTS,
    Language,
    NotificationKind,
    Preferences,
)
from sandbox.store.models import NotificationPreferenceRow, NotificationSettingsRow, UserRow


def language_of(session: Session, user_id: int) -> Language:
    """The language ``user_id`` reads notifications in."""
    row = session.get(NotificationSettingsRow, user_id)
    return Language(row.language) if row is not None else DEFAULT_LANGUAGE


def email_wanted(session: Session, user_id: int, kind: NotificationKind) -> bool:
    """Whether ``user_id`` wants e-mail for ``kind``."""
    row = session.execute(
        select(NotificationPreferenceRow).where(
            NotificationPreferenceRow.user_id == user_id,
            NotificationPreferenceRow.kind == str(kind),
        )
    ).scalar_one_or_none()
    return EMAIL_DEFAULTS[kind] if row is None else row.email


def _account(session: Session, actor: Actor) -> UserRow:
    if actor.user_id is None:
        raise InvalidRequest("the local operator has no notification preferences")
    user = session.get(UserRow, actor.user_id)
    if user is None:
        raise NotFound(f"no account {actor.user_id}")
    return user


def preferences(session: Session, actor: Actor) -> Preferences:
    """``actor``'s own preferences, defaults filled in."""
    user = _account(session, actor)
    chosen = {
        row.kind: row.email
        for row in session.execute(
            select(NotificationPreferenceRow).where(NotificationPreferenceRow.user_id == user.id)
        ).scalars()
    }
    return Preferences(
        language=language_of(session, user.id),
        email={kind: chosen.get(str(kind), EMAIL_DEFAULTS[kind]) for kind in NotificationKind},
        email_address=user.email,
    )


def set_preferences(
    session: Session,
    actor: Actor,
    *,
    language: str | None = None,
    email: Mapping[str, bool] | None = None,
    now: datetime | None = None,
) -> Preferences:
    """Change ``actor``'s language and/or e-mail choices; kinds not named keep theirs.

    Every name is checked before anything changes, so a bad kind changes nothing.
    """
    user = _account(session, actor)
    chosen_language = None if language is None else parse_enum(Language, language, "language")
    changes: dict[NotificationKind, bool] = {}
    for name, wanted in (email or {}).items():
        kind = parse_enum(NotificationKind, name, "notification kind")
        if not isinstance(wanted, bool):
            raise InvalidRequest(f"e-mail for {kind} must be true or false")
        changes[kind] = wanted
    moment = now or utc_now()
    if chosen_language is not None:
        settings = session.get(NotificationSettingsRow, user.id, with_for_update=True)
        if settings is None:
            settings = NotificationSettingsRow(user_id=user.id)
            session.add(settings)
        settings.language = str(chosen_language)
        settings.updated_at = moment
    for kind, wanted in changes.items():
        row = session.execute(
            select(NotificationPreferenceRow)
            .where(
                NotificationPreferenceRow.user_id == user.id,
                NotificationPreferenceRow.kind == str(kind),
            )
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = NotificationPreferenceRow(user_id=user.id, kind=str(kind))
            session.add(row)
        row.email = wanted
        row.updated_at = moment
    session.flush()
    audit.record(
        session,
        actor,
        "notification.preferences_set",
        object_type="user",
        object_id=user.id,
        detail={
            "language": None if chosen_language is None else str(chosen_language),
            "email": {str(k): v for k, v in changes.items()},
        },
    )
    return preferences(session, actor)
