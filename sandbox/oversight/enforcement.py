"""Enforcement on a user who fails its security duties (Xi'an art. 35): a provider asks it
to rectify, suspending every active grant it holds on the provider's data, and, if it does
not rectify, terminates the service by revoking the grants still suspended.

Both steps reuse :func:`sandbox.access.grants.change_status` (which audits each grant) and
add one ``enforcement.*`` audit entry on the user. A rectified user's grants are resumed
one by one with ``POST /v1/grants/{id}/resume``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access import grants as grant_service
from sandbox.access.model import Grant, GrantStatus
from sandbox.access.rules import grant_status_at
from sandbox.catalog.permissions import require_provider
from sandbox.errors import Conflict, NotFound
from sandbox.identity.model import Actor
from sandbox.oversight.common import clean_text, now_or
from sandbox.store.models import GrantRow

RECTIFICATION_PREFIX = "pending rectification: "
TERMINATION_PREFIX = "service terminated: "


def _grants_in(
    session: Session, actor: Actor, user_id: int, status: GrantStatus, now: datetime
) -> list[GrantRow]:
    rows = list(
        session.execute(
            select(GrantRow)
            .where(GrantRow.holder_id == user_id, GrantRow.provider_org_id == actor.organisation_id)
            .order_by(GrantRow.id)
        ).scalars()
    )
    if not rows:
        raise NotFound(f"user {user_id} holds no grant of your organisation")
    return [
        row
        for row in rows
        if grant_status_at(GrantStatus(row.status), row.valid_until, now) is status
    ]


def request_rectification(
    session: Session, actor: Actor, *, user_id: int, reason: str, now: datetime | None = None
) -> list[Grant]:
    """Suspend every active grant ``user_id`` holds on the actor's organisation's data,
    pending rectification.
    """
    now = now_or(now)
    require_provider(actor, "ask users to rectify")
    reason = clean_text(reason, "reason", required=True, limit=2000)
    rows = _grants_in(session, actor, user_id, GrantStatus.ACTIVE, now)
    if not rows:
        raise Conflict(f"user {user_id} holds no active grant of your organisation")
    done = [
        grant_service.change_status(
            session, actor, row.id, "suspend", reason=RECTIFICATION_PREFIX + reason, now=now
        )
        for row in rows
    ]
    audit.record(
        session,
        actor,
        "enforcement.rectification",
        object_type="user",
        object_id=user_id,
        detail={"reason": reason, "grants": [g.ref for g in done]},
    )
    return done


def terminate(
    session: Session, actor: Actor, *, user_id: int, reason: str, now: datetime | None = None
) -> list[Grant]:
    """Revoke every grant of the actor's organisation that ``user_id`` holds suspended
    (the service ends for a user that did not rectify).
    """
    now = now_or(now)
    require_provider(actor, "terminate users' service")
    reason = clean_text(reason, "reason", required=True, limit=2000)
    rows = _grants_in(session, actor, user_id, GrantStatus.SUSPENDED, now)
    if not rows:
        raise Conflict(
            f"user {user_id} holds no suspended grant of your organisation; ask it to rectify first"
        )
    done = [
        grant_service.change_status(
            session, actor, row.id, "revoke", reason=TERMINATION_PREFIX + reason, now=now
        )
        for row in rows
    ]
    audit.record(
        session,
        actor,
        "enforcement.termination",
        object_type="user",
        object_id=user_id,
        detail={"reason": reason, "grants": [g.ref for g in done]},
    )
    return done
