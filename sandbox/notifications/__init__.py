"""Notifications: every account's inbox, its preferences, and e-mail through SMTP.

Producers call :func:`notify` in the transaction of their event, with the recipients'
user ids, a text key of :mod:`sandbox.notifications.texts` and its parameters (ids,
names, dates: never data). E-mail goes out after the commit from the server's
:class:`~sandbox.notifications.worker.NotificationLoop`; deadlines are swept by the same
loop and by ``sandbox notifications sweep``.

This package sits beside storage and the ledger, below the access workflow, so every
workflow above (access, jobs, review, oversight) can notify.
"""

from sandbox.notifications.inbox import inbox, mark_all_read, mark_read, notify, unread_count
from sandbox.notifications.model import (
    Inbox,
    Language,
    Notification,
    NotificationKind,
    Preferences,
    Subject,
)
from sandbox.notifications.preferences import preferences, set_preferences
from sandbox.notifications.recipients import grant_holders, holders_of_role, staff_of

__all__ = [
    "Inbox",
    "Language",
    "Notification",
    "NotificationKind",
    "Preferences",
    "Subject",
    "grant_holders",
    "holders_of_role",
    "inbox",
    "mark_all_read",
    "mark_read",
    "notify",
    "preferences",
    "set_preferences",
    "staff_of",
    "unread_count",
]
