"""Notification value types: the closed set of kinds, languages, and what the inbox shows.

The kinds are the unit of an account's preferences (REQUIREMENTS.md, notifications: an
inbox for every account and e-mail, per-user preferences): the inbox always receives every
kind; e-mail is on or off per kind, on by default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class NotificationKind(enum.StrEnum):
    """What a notification is about; an account chooses e-mail per kind."""

    DECISION = "decision"
    """Somebody decided on your application, result, catalog entry or request."""
    RETURNED = "returned"
    """Your application or result came back for changes."""
    DEADLINE_APPROACHING = "deadline_approaching"
    """A step you must take is due within a few working days."""
    DEADLINE_PASSED = "deadline_passed"
    """A step you had to take is past its deadline."""
    REMINDER = "reminder"
    """A recurring duty is due (an update, a usage report)."""
    SUSPENSION = "suspension"
    """A dataset you hold a grant on was suspended, or its suspension resolved."""
    RESULT_READY = "result_ready"
    """A result of yours was released."""
    REVIEW_WAITING = "review_waiting"
    """A result waits for your review."""
    CASE_RECEIVED = "case_received"
    """A complaint, objection, report or task was filed for you to answer."""
    CASE_ANSWERED = "case_answered"
    """Your complaint, objection or request for re-review was answered."""


class Language(enum.StrEnum):
    """The languages notifications are written in; Chinese is the default."""

    ZH = "zh"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH

EMAIL_DEFAULTS: dict[NotificationKind, bool] = dict.fromkeys(NotificationKind, True)
"""Whether a kind is e-mailed to an account that never chose: every kind is something the
account must act on or wait for, so all are on; each can be turned off."""


class OutboxStatus(enum.StrEnum):
    """Where a queued e-mail stands."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Every attempt failed."""
    EXPIRED = "expired"
    """Not sent within the e-mail expiry (SMTP off or down too long): no longer news."""


@dataclass(frozen=True)
class Subject:
    """What a notification is about: a type and an id (a dataset by its name)."""

    type: str
    id: str


@dataclass(frozen=True)
class Notification:
    """One notification as its recipient reads it, rendered in the reader's language."""

    id: int
    kind: NotificationKind
    key: str
    subject: Subject
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Inbox:
    """A page of an account's notifications, newest first."""

    data: tuple[Notification, ...]
    count: int
    """Notifications matching the filter in all pages."""
    unread: int
    """The account's unread notifications in all (whatever the filter)."""


@dataclass(frozen=True)
class Preferences:
    """An account's notification language and e-mail choice per kind."""

    language: Language
    email: dict[NotificationKind, bool]
    email_address: str
    """Where e-mail goes ("" when the account has none: nothing is e-mailed)."""
