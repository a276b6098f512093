"""Sign-in sessions of the console: server-side records behind an opaque cookie.

The cookie holds a random secret; the database holds only its SHA-256, so a copy of the
database opens no session. A session ends when it has been idle for
``Settings.session_idle_seconds``, at ``Settings.session_absolute_seconds`` after sign-in
whatever happens, at sign-out, and when the account's password changes or the account is
disabled.

Each session has a CSRF token, derived from its secret (an HMAC keyed by the secret), so
it needs no column of its own, differs from the stored hash, and only someone who holds
the cookie can compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.identity.errors import SessionExpired
from sandbox.identity.model import Actor, Role
from sandbox.store.models import LoginSessionRow, UserRow

SESSION_PREFIX = "sbs_"
"""Session secrets start so, told apart from API tokens (``sbx_``) at a glance."""


@dataclass(frozen=True)
class SessionLifetime:
    """How long sessions live (``Settings.session_idle_seconds``, ``session_absolute_seconds``)."""

    idle_seconds: int = 30 * 60
    absolute_seconds: int = 12 * 3600


@dataclass(frozen=True)
class StartedSession:
    """A new session: the only moment its secret exists outside the browser."""

    secret: str
    csrf_token: str
    session_id: int
    user_id: int
    expires_at: datetime
    idle_expires_at: datetime


@dataclass(frozen=True)
class LiveSession:
    """A session resolved from its cookie: who it is, and the token its forms must carry."""

    actor: Actor
    session_id: int
    csrf_token: str
    expires_at: datetime
    idle_expires_at: datetime


def hash_session_secret(secret: str) -> str:
    """The stored form of a session secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_token_for(secret: str) -> str:
    """The CSRF token of the session whose cookie holds ``secret``."""
    return hmac.new(secret.encode("utf-8"), b"sandbox csrf token", hashlib.sha256).hexdigest()


def csrf_matches(secret: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of ``secret``'s session (constant time)."""
    return bool(submitted) and hmac.compare_digest(csrf_token_for(secret), submitted or "")


def start_session(session: Session, user_id: int, lifetime: SessionLifetime) -> StartedSession:
    """Record a new session for ``user_id`` (the caller has checked the credentials)."""
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    row = LoginSessionRow(
        user_id=user_id,
        session_hash=hash_session_secret(secret),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=lifetime.absolute_seconds),
        revoked_reason="",
    )
    session.add(row)
    session.flush()
    return StartedSession(
        secret=secret,
        csrf_token=csrf_token_for(secret),
        session_id=row.id,
        user_id=user_id,
        expires_at=row.expires_at,
        idle_expires_at=_idle_end(row, lifetime),
    )


def resolve_session(session: Session, secret: str, lifetime: SessionLifetime) -> LiveSession:
    """The live session of a cookie's ``secret``, renewing its idle clock.

    Raises:
        SessionExpired: Unknown, ended, revoked, idle too long, past its absolute end, or
            its account disabled.
    """
    if not secret.startswith(SESSION_PREFIX):
        raise SessionExpired("the session cookie is not a sandbox session")
    found = session.execute(
        select(LoginSessionRow, UserRow)
        .join(UserRow, UserRow.id == LoginSessionRow.user_id)
        .where(LoginSessionRow.session_hash == hash_session_secret(secret))
    ).first()
    if found is None:
        raise SessionExpired("the session has ended; sign in again")
    row, user = found
    now = utc_now()
    if row.revoked_at is not None:
        raise SessionExpired("the session has ended; sign in again")
    if now >= row.expires_at or now >= _idle_end(row, lifetime):
        raise SessionExpired("the session has expired; sign in again")
    if not user.active:
        raise SessionExpired("the account of this session is disabled")
    if now - row.last_seen_at >= _renew_step(lifetime):
        row.last_seen_at = now
    return LiveSession(
        actor=Actor(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            organisation_id=user.organisation_id,
        ),
        session_id=row.id,
        csrf_token=csrf_token_for(secret),
        expires_at=row.expires_at,
        idle_expires_at=_idle_end(row, lifetime),
    )


def end_session(session: Session, secret: str, reason: str = "signed_out") -> int | None:
    """End the session of ``secret``; its id, or ``None`` if it was not live."""
    row = session.execute(
        select(LoginSessionRow).where(LoginSessionRow.session_hash == hash_session_secret(secret))
    ).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = utc_now()
    row.revoked_reason = reason
    return row.id


def sign_out(session: Session, actor: Actor, secret: str) -> int | None:
    """End the caller's session of ``secret`` and audit it; its id, or ``None`` if it had
    already ended (signing out twice is harmless and audited once).
    """
    ended = end_session(session, secret)
    if ended is not None:
        audit.record(session, actor, "session.sign_out", object_type="session", object_id=ended)
    return ended


def revoke_all_sessions(session: Session, user_id: int, *, reason: str) -> int:
    """End every live session of an account; how many there were."""
    result = session.execute(
        update(LoginSessionRow)
        .where(LoginSessionRow.user_id == user_id, LoginSessionRow.revoked_at.is_(None))
        .values(revoked_at=utc_now(), revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _renew_step(lifetime: SessionLifetime) -> timedelta:
    """How stale ``last_seen_at`` may grow before a request writes it again: a tenth of the
    idle time, at most a minute, so that a busy page does not write on every request.
    """
    return timedelta(seconds=min(60.0, lifetime.idle_seconds / 10))


def _idle_end(row: LoginSessionRow, lifetime: SessionLifetime) -> datetime:
    return min(row.last_seen_at + timedelta(seconds=lifetime.idle_seconds), row.expires_at)
