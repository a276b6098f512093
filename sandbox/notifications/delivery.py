"""Sending the e-mail outbox after commit: claim, send, record, retry with backoff.

Each e-mail was queued in the transaction of its event. A delivery pass claims due rows in
a short transaction of its own (``sending`` with a lease, so two server processes never
send one message twice, and a process that died mid-send leaves it to be claimed again),
sends them with no transaction open, and records each outcome. A failure waits
``smtp_retry_seconds`` doubled per attempt (at most an hour) until ``smtp_max_attempts``;
a message older than ``email_expiry_hours`` is dropped as no longer news. Failures are
logged and audited by message id, account and the error's kind, never with an address,
a subject or a body.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.identity.model import Actor
from sandbox.notifications import mail
from sandbox.notifications.model import Language, OutboxStatus
from sandbox.store.db import transaction
from sandbox.store.models import EmailOutboxRow

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
BATCH = 50


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure."""
    seconds = settings.smtp_retry_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=max(60.0, settings.smtp_timeout_seconds * 3))


def _expire(session: Session, settings: Settings, now: datetime) -> int:
    cutoff = now - timedelta(hours=settings.email_expiry_hours)
    result = session.execute(
        update(EmailOutboxRow)
        .where(
            EmailOutboxRow.status == str(OutboxStatus.QUEUED),
            EmailOutboxRow.created_at < cutoff,
        )
        .values(status=str(OutboxStatus.EXPIRED), last_error="expired unsent")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _claim(session: Session, settings: Settings, now: datetime) -> list[int]:
    due = session.execute(
        select(EmailOutboxRow.id)
        .where(
            or_(
                (EmailOutboxRow.status == str(OutboxStatus.QUEUED))
                & (EmailOutboxRow.next_attempt_at <= now),
                (EmailOutboxRow.status == str(OutboxStatus.SENDING))
                & (EmailOutboxRow.claimed_until < now),
            )
        )
        .order_by(EmailOutboxRow.id)
        .limit(BATCH)
    ).scalars()
    claimed = []
    for outbox_id in list(due):
        result = session.execute(
            update(EmailOutboxRow)
            .where(
                EmailOutboxRow.id == outbox_id,
                or_(
                    EmailOutboxRow.status == str(OutboxStatus.QUEUED),
                    (EmailOutboxRow.status == str(OutboxStatus.SENDING))
                    & (EmailOutboxRow.claimed_until < now),
                ),
            )
            .values(status=str(OutboxStatus.SENDING), claimed_until=now + _lease(settings))
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0):
            claimed.append(outbox_id)
    return claimed


def _error_kind(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.smtp_code}"
    return type(error).__name__


def _record(
    sessions: sessionmaker[Session],
    settings: Settings,
    outbox_id: int,
    error: BaseException | None,
) -> OutboxStatus:
    now = utc_now()
    with transaction(sessions) as session:
        row = session.get(EmailOutboxRow, outbox_id, with_for_update=True)
        assert row is not None
        row.attempts += 1
        row.claimed_until = None
        if error is None:
            row.status = str(OutboxStatus.SENT)
            row.sent_at = now
            row.last_error = ""
        else:
            row.last_error = _error_kind(error)[:200]
            if row.attempts >= settings.smtp_max_attempts:
                row.status = str(OutboxStatus.FAILED)
            else:
                row.status = str(OutboxStatus.QUEUED)
                row.next_attempt_at = now + backoff(settings, row.attempts)
        if error is None or row.status == OutboxStatus.FAILED:
            audit.record(
                session,
                Actor.system(),
                "notification.emailed" if error is None else "notification.email_failed",
                object_type="notification",
                object_id=row.notification_id,
                outcome="ok" if error is None else "error",
                detail={
                    "recipient_id": row.recipient_id,
                    "attempts": row.attempts,
                    "error": row.last_error,
                },
            )
        return OutboxStatus(row.status)


def deliver_due(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime | None = None
) -> DeliveryReport:
    """One pass over the outbox: drop stale messages, send the due ones."""
    moment = now or utc_now()
    with transaction(sessions) as session:
        expired = _expire(session, settings, moment)
        claimed = _claim(session, settings, moment) if mail.enabled(settings) else []
    counts = {status: 0 for status in OutboxStatus}
    for outbox_id in claimed:
        with sessions() as session:
            row = session.get(EmailOutboxRow, outbox_id)
            assert row is not None
            message = mail.compose(
                settings,
                to=row.to_address,
                language=Language(row.language),
                title=row.subject,
                body=row.body,
            )
            recipient, notification = row.recipient_id, row.notification_id
        error: BaseException | None = None
        try:
            mail.send(settings, message)
        except (OSError, smtplib.SMTPException) as failure:
            error = failure
            log.warning(
                "notification e-mail %d (notification %d, account %d) not sent: %s",
                outbox_id,
                notification,
                recipient,
                _error_kind(failure),
            )
        counts[_record(sessions, settings, outbox_id, error)] += 1
    return DeliveryReport(
        sent=counts[OutboxStatus.SENT],
        retrying=counts[OutboxStatus.QUEUED],
        failed=counts[OutboxStatus.FAILED],
        expired=expired,
    )
