"""Bearer API tokens: random secrets shown once, stored as SHA-256, revocable, expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import AuthenticationRequired, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, IssuedToken, Role, TokenInfo
from sandbox.store.models import ApiTokenRow, UserRow

TOKEN_PREFIX = "sbx_"
MAX_TOKEN_DAYS = 366
"""Tokens live at most a year; a longer request is refused rather than silently shortened."""


def hash_token(secret: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, actor: Actor, *, user_id: int, name: str = "default", days: int = 90
) -> IssuedToken:
    """Create a token for ``user_id``: the account itself, or any account for an admin."""
    if actor.user_id != user_id and actor.role is not Role.ADMIN:
        raise PermissionDenied("you may only create tokens for your own account")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidRequest(f"token lifetime must be 1 to {MAX_TOKEN_DAYS} days, not {days}")
    name = name.strip() or "default"
    if len(name) > 100:
        raise InvalidRequest("token name must be at most 100 characters")
    user = session.get(UserRow, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utc_now()
    row = ApiTokenRow(
        user_id=user_id,
        token_hash=hash_token(secret),
        prefix=secret[:12],
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        object_type="token",
        object_id=row.id,
        detail={"user_id": user_id, "name": name, "days": days},
    )
    return IssuedToken(secret=secret, info=_info(row))


def list_tokens(session: Session, actor: Actor, *, user_id: int) -> list[TokenInfo]:
    """The tokens of an account (the account itself, or an admin)."""
    if actor.user_id != user_id and actor.role is not Role.ADMIN:
        raise PermissionDenied("you may only list your own tokens")
    rows = session.execute(
        select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
    ).scalars()
    return [_info(r) for r in rows]


def revoke_token(session: Session, actor: Actor, token_id: int) -> TokenInfo:
    """Revoke a token at once; revoking twice is harmless."""
    row = session.get(ApiTokenRow, token_id)
    if row is None or (row.user_id != actor.user_id and actor.role is not Role.ADMIN):
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        audit.record(session, actor, "token.revoke", object_type="token", object_id=token_id)
    return _info(row)


def authenticate(session: Session, secret: str) -> Actor:
    """Resolve a bearer secret to its actor, refusing unknown, revoked or expired tokens."""
    if not secret.startswith(TOKEN_PREFIX):
        raise AuthenticationRequired("the bearer token is not a sandbox API token")
    # Checked against the database on every request, so a revocation (from any process)
    # holds from the next request on; only the columns the check needs are read, without
    # building ORM objects (this runs before every authenticated request).
    found = session.execute(
        select(
            ApiTokenRow.revoked_at,
            ApiTokenRow.expires_at,
            UserRow.id,
            UserRow.username,
            UserRow.role,
            UserRow.organisation_id,
            UserRow.active,
        )
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .where(ApiTokenRow.token_hash == hash_token(secret))
    ).first()
    if found is None:
        raise AuthenticationRequired("the bearer token is not valid")
    if found.revoked_at is not None:
        raise AuthenticationRequired("the bearer token has been revoked")
    if found.expires_at <= utc_now():
        raise AuthenticationRequired("the bearer token has expired")
    if not found.active:
        raise AuthenticationRequired("the account of this token is disabled")
    return Actor(
        user_id=found.id,
        username=found.username,
        role=Role(found.role),
        organisation_id=found.organisation_id,
    )


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
