"""Signing in with a login and a password: the check, the lockout, the audit, the session.

Every failure answers the same :class:`SignInFailed`, whatever the reason (unknown login,
wrong password, locked, disabled, no password set), and an unknown login costs the same
argon2 verification as a known one, so neither the message nor the time tells whether an
account exists. The audit entry keeps the real reason for the auditor.

After ``Settings.sign_in_lockout_failures`` consecutive failures the account is locked for
``Settings.sign_in_lockout_seconds``: every sign-in is refused meanwhile, the right password
included, and the lock does not grow while it lasts (a lockout an attacker can prolong
forever would lock the owner out for good).

The caller commits the transaction in both outcomes (the failure is recorded, then raised
outside it): see :func:`attempt_sign_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.identity.errors import SignInFailed
from sandbox.identity.model import Actor, Role
from sandbox.identity.passwords import hash_password, needs_rehash, verify_password
from sandbox.identity.sessions import SessionLifetime, StartedSession, start_session
from sandbox.store.models import UserRow

UNKNOWN_ACTOR = Actor(user_id=None, username="(visitor)", role=Role.USER)
"""Who a sign-in under an unknown login is audited as."""

MAX_LOGIN_AUDITED = 100
"""Characters of an unknown login kept in its audit entry."""


@dataclass(frozen=True)
class Lockout:
    """``Settings.sign_in_lockout_failures`` and ``sign_in_lockout_seconds``."""

    failures: int = 5
    seconds: int = 15 * 60


@dataclass(frozen=True)
class SignInOutcome:
    """What a sign-in attempt came to: a session, or a refusal to raise once committed."""

    started: StartedSession | None
    actor: Actor | None

    def session_or_raise(self) -> StartedSession:
        """The new session, or the one refusal every failure shares."""
        if self.started is None:
            raise SignInFailed()
        return self.started


def attempt_sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    lifetime: SessionLifetime,
    lockout: Lockout,
    client: str = "",
) -> SignInOutcome:
    """Check a login and password; on success start a session.

    Never raises for bad credentials: the failure count, the lock and the audit entry must
    be committed, so the caller commits, then calls :meth:`SignInOutcome.session_or_raise`.
    ``client`` (the remote address) goes into the audit entry.
    """
    login = username.strip().lower()
    row = session.execute(select(UserRow).where(UserRow.username == login)).scalar_one_or_none()
    matches = verify_password(row.password_hash if row else None, password)
    detail: dict[str, object] = {"client": client} if client else {}
    if row is None:
        audit.record(
            session,
            UNKNOWN_ACTOR,
            "session.sign_in",
            object_type="user",
            object_id="-",
            outcome="failed",
            detail={**detail, "reason": "unknown_login", "login": login[:MAX_LOGIN_AUDITED]},
        )
        return SignInOutcome(None, None)
    actor = Actor(
        user_id=row.id,
        username=row.username,
        role=Role(row.role),
        organisation_id=row.organisation_id,
    )
    now = utc_now()
    reason = _refusal(row, matches, now)
    if reason is not None:
        if reason == "wrong_password":
            row.failed_sign_ins += 1
            if row.failed_sign_ins >= lockout.failures:
                row.locked_until = now + timedelta(seconds=lockout.seconds)
                row.failed_sign_ins = 0
                reason = "wrong_password_locked"
        audit.record(
            session,
            actor,
            "session.sign_in",
            object_type="user",
            object_id=row.id,
            outcome="failed",
            detail={**detail, "reason": reason},
        )
        return SignInOutcome(None, actor)
    row.failed_sign_ins = 0
    row.locked_until = None
    if row.password_hash is not None and needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    started = start_session(session, row.id, lifetime)
    audit.record(
        session,
        actor,
        "session.sign_in",
        object_type="session",
        object_id=started.session_id,
        detail=detail,
    )
    return SignInOutcome(started, actor)


def _refusal(row: UserRow, matches: bool, now: datetime) -> str | None:
    """Why ``row`` may not sign in now, or ``None``: checked in this order so that a locked
    account says "locked" whatever the password was.
    """
    if row.locked_until is not None and now < row.locked_until:
        return "locked"
    if not row.active:
        return "disabled"
    if row.password_hash is None:
        return "no_password"
    if not matches:
        return "wrong_password"
    return None
