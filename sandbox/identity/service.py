"""Accounts, organisations and eligibility facts. Every change is audited in its transaction."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import (
    ELIGIBILITY_VALUES,
    Actor,
    EligibilityFact,
    EligibilityRecord,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from sandbox.identity.sessions import revoke_all_sessions
from sandbox.store.models import EligibilityFactRow, OrganisationRow, UserRow

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,62}$")

ROLES_NEEDING_ORGANISATION = frozenset({Role.PROVIDER})
"""Providers register datasets on behalf of their organisation, so they must have one."""


def _now() -> datetime:
    return utc_now()


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("only an admin may manage accounts and organisations")


def create_organisation(
    session: Session, actor: Actor, *, name: str, kind: OrganisationKind
) -> Organisation:
    """Create an organisation with a unique name."""
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise InvalidRequest("organisation name must not be empty")
    if session.execute(select(OrganisationRow).where(OrganisationRow.name == name)).first():
        raise Conflict(f"an organisation named {name!r} already exists")
    row = OrganisationRow(name=name, kind=str(kind), created_at=_now())
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "organisation.create",
        object_type="organisation",
        object_id=row.id,
        detail={"name": name, "kind": str(kind)},
    )
    return _org(row)


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    rows = session.execute(select(OrganisationRow).order_by(OrganisationRow.name)).scalars()
    return [_org(r) for r in rows]


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """One organisation, or :class:`NotFound`."""
    row = session.get(OrganisationRow, organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return _org(row)


def find_organisation(session: Session, name: str) -> Organisation | None:
    """The organisation called ``name``, if any."""
    row = session.execute(
        select(OrganisationRow).where(OrganisationRow.name == name)
    ).scalar_one_or_none()
    return _org(row) if row else None


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    display_name: str = "",
    organisation_id: int | None = None,
) -> User:
    """Create an account. Usernames are unique and lower-case."""
    _require_admin(actor)
    if not USERNAME_PATTERN.match(username):
        raise InvalidRequest(
            f"username {username!r} must be 2-63 characters of a-z, 0-9, '_', '.', '-', "
            "starting with a letter"
        )
    if role in ROLES_NEEDING_ORGANISATION and organisation_id is None:
        raise InvalidRequest(f"a {role} account needs an organisation")
    if organisation_id is not None:
        get_organisation(session, organisation_id)
    if session.execute(select(UserRow).where(UserRow.username == username)).first():
        raise Conflict(f"a user named {username!r} already exists")
    row = UserRow(
        username=username,
        display_name=display_name or username,
        role=str(role),
        organisation_id=organisation_id,
        active=True,
        created_at=_now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        object_type="user",
        object_id=row.id,
        detail={"username": username, "role": str(role), "organisation_id": organisation_id},
    )
    return get_user(session, row.id)


def get_user(session: Session, user_id: int) -> User:
    """One account with its current eligibility facts, or :class:`NotFound`."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return _user(session, row)


def find_user(session: Session, username: str) -> User | None:
    """The account called ``username``, if any."""
    row = session.execute(select(UserRow).where(UserRow.username == username)).scalar_one_or_none()
    return _user(session, row) if row else None


def list_users(session: Session) -> list[User]:
    """Every account, by username."""
    rows = session.execute(select(UserRow).order_by(UserRow.username)).scalars().all()
    return [_user(session, r) for r in rows]


def set_active(session: Session, actor: Actor, user_id: int, *, active: bool) -> User:
    """Disable or re-enable an account; a disabled account's tokens stop working."""
    _require_admin(actor)
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    row.active = active
    if not active:
        revoke_all_sessions(session, user_id, reason="account_disabled")
    audit.record(
        session,
        actor,
        "user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user_id,
    )
    return _user(session, row)


def set_eligibility(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    fact: EligibilityFact,
    value: str,
    note: str = "",
) -> User:
    """Record an eligibility fact on a user, with who set it and when.

    Facts are never overwritten: each call adds a record and the newest one counts, so the
    history of who vouched for what stays readable.
    """
    if actor.role not in (Role.AUTHORITY, Role.ADMIN):
        raise PermissionDenied("only the authority or an admin may record eligibility facts")
    allowed = ELIGIBILITY_VALUES[fact]
    if value not in allowed:
        raise InvalidRequest(
            f"{value!r} is not a value of {fact}; expected one of {sorted(allowed)}"
        )
    if session.get(UserRow, user_id) is None:
        raise NotFound(f"user {user_id} does not exist")
    if actor.user_id is None:
        raise PermissionDenied("eligibility facts must be set by a named account")
    session.add(
        EligibilityFactRow(
            user_id=user_id,
            fact=str(fact),
            value=value,
            note=note,
            set_by_user_id=actor.user_id,
            set_at=_now(),
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "user.eligibility.set",
        object_type="user",
        object_id=user_id,
        detail={"fact": str(fact), "value": value},
    )
    return get_user(session, user_id)


def _org(row: OrganisationRow) -> Organisation:
    return Organisation(
        id=row.id, name=row.name, kind=OrganisationKind(row.kind), created_at=row.created_at
    )


def _user(session: Session, row: UserRow) -> User:
    org_name = None
    if row.organisation_id is not None:
        org = session.get(OrganisationRow, row.organisation_id)
        org_name = org.name if org else None
    facts = session.execute(
        select(EligibilityFactRow, UserRow.username)
        .join(UserRow, UserRow.id == EligibilityFactRow.set_by_user_id)
        .where(EligibilityFactRow.user_id == row.id)
        .order_by(EligibilityFactRow.id)
    ).all()
    current: dict[str, EligibilityRecord] = {}
    for fact_row, setter in facts:
        current[fact_row.fact] = EligibilityRecord(
            fact=EligibilityFact(fact_row.fact),
            value=fact_row.value,
            note=fact_row.note,
            set_by=setter,
            set_at=fact_row.set_at,
        )
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        organisation_name=org_name,
        active=row.active,
        created_at=row.created_at,
        eligibility=tuple(current[k] for k in sorted(current)),
        email=row.email,
        stated_organisation=row.stated_organisation,
        self_registered=row.self_registered,
        has_password=row.password_hash is not None,
    )
