"""Request and response schemas of the inbox and notification preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, StrictBool

from api.schemas.common import Choice, FromDomain, Strict
from sandbox.notifications import Language, NotificationKind


class SubjectPublic(FromDomain):
    """What a notification is about: ``type`` (application, job, dataset, ...) and ``id``."""

    type: str
    id: str


class NotificationPublic(FromDomain):
    """One notification, its words in your notification language."""

    id: int
    kind: NotificationKind
    key: str = Field(description="the text's key, e.g. `application.approved`")
    subject: SubjectPublic
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class InboxPublic(FromDomain):
    """A page of your notifications, newest first."""

    data: list[NotificationPublic]
    count: int = Field(description="notifications matching the filter, in all pages")
    unread: int = Field(description="your unread notifications in all")


class ReadAllPublic(FromDomain):
    """How many notifications ``read-all`` marked read."""

    marked: int
    unread: int


class PreferencesPublic(FromDomain):
    """Your notification language, and e-mail on or off per kind (the inbox gets all)."""

    language: Language
    email: dict[NotificationKind, bool]
    email_address: str = Field(description="where e-mail goes; empty: nothing is e-mailed")


class PreferencesIn(Strict):
    """Body of ``PUT /v1/notifications/preferences``: only what changes.

    ``email`` maps kinds to true/false; kinds not named keep their setting.
    """

    language: Choice[Language] | None = None
    email: dict[Choice[NotificationKind], StrictBool] = Field(default_factory=dict)
