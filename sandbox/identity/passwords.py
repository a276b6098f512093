"""Sign-in passwords: argon2id hashes, the policy a new one must meet, and who may set one.

A password is only ever held as its argon2id hash (argon2-cffi's RFC 9106 defaults); a
hash made with weaker parameters is replaced at the next successful sign-in. Setting a
password ends every sign-in session of the account, so a password that leaked stops
working everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import NotFound, PermissionDenied
from sandbox.identity.errors import WeakPassword
from sandbox.identity.model import Actor, Role
from sandbox.identity.sessions import revoke_all_sessions
from sandbox.store.models import UserRow

MAX_PASSWORD_LENGTH = 256
"""Longest password accepted: argon2 takes any length, a bound keeps hashing cheap to refuse."""


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must be (``Settings.password_min_length``)."""

    min_length: int = 12


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The stored form of ``password``: an argon2id hash with its salt and parameters."""
    return _hasher().hash(password)


@cache
def _decoy_hash() -> str:
    """A hash no password matches in practice, verified when the login is unknown so that a
    failed sign-in takes as long whether or not the account exists.
    """
    return hash_password("decoy password of an account that does not exist")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; an account without one matches nothing
    (the decoy is verified all the same, to take the same time).
    """
    try:
        return _hasher().verify(stored_hash or _decoy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)


def check_policy(policy: PasswordPolicy, *, username: str, password: str) -> None:
    """Refuse a password that breaks ``policy``, naming the rule broken.

    Raises:
        WeakPassword: Too short, too long, blank, or the login itself.
    """
    if len(password) < policy.min_length:
        raise WeakPassword(f"the password must be at least {policy.min_length} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must be at most {MAX_PASSWORD_LENGTH} characters long")
    if not password.strip():
        raise WeakPassword("the password must not be only spaces")
    if password.strip().casefold() == username.casefold():
        raise WeakPassword("the password must not be the login name")


def store_password(row: UserRow, password: str) -> None:
    """Hash ``password`` onto ``row`` and clear any lock (the caller checked the policy)."""
    row.password_hash = hash_password(password)
    row.password_changed_at = utc_now()
    row.failed_sign_ins = 0
    row.locked_until = None


def change_own_password(
    session: Session,
    actor: Actor,
    policy: PasswordPolicy,
    *,
    current_password: str | None,
    new_password: str,
) -> int:
    """Set the caller's own password; returns how many sessions this ended.

    The current password is required once one is set: a stolen session or token alone
    must not be enough to take the account over. A token-only account sets its first
    password with its token.

    Raises:
        PermissionDenied: The current password is missing or wrong.
        WeakPassword: The new password breaks the policy.
    """
    if actor.user_id is None:
        raise NotFound("the local operator has no account")
    row = session.get(UserRow, actor.user_id)
    if row is None:
        raise NotFound(f"user {actor.user_id} does not exist")
    if row.password_hash is not None and not verify_password(
        row.password_hash, current_password or ""
    ):
        raise PermissionDenied("the current password is wrong or missing")
    check_policy(policy, username=row.username, password=new_password)
    first = row.password_hash is None
    store_password(row, new_password)
    action = "user.password.set" if first else "user.password.change"
    return _after_change(session, actor, row, action)


def set_password_as_admin(
    session: Session,
    actor: Actor,
    policy: PasswordPolicy,
    user_id: int,
    *,
    new_password: str,
    initial: bool = False,
) -> int:
    """An admin sets any account's password (``initial``: the one it is created with);
    returns the sessions it ended.
    """
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only an admin may set another account's password")
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    check_policy(policy, username=row.username, password=new_password)
    store_password(row, new_password)
    return _after_change(
        session, actor, row, "user.password.set" if initial else "user.password.reset"
    )


def _after_change(session: Session, actor: Actor, row: UserRow, action: str) -> int:
    ended = revoke_all_sessions(session, row.id, reason="password_changed")
    audit.record(
        session,
        actor,
        action,
        object_type="user",
        object_id=row.id,
        detail={"sessions_ended": ended},
    )
    return ended
