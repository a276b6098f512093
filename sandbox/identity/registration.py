"""Self-registration: a visitor opens a user account that may browse but not yet apply.

A registered account has the ``user`` role and no organisation (the organisation it names
is kept as unverified text for the authority to check). It can sign in at once; applying
for conditional data waits until an admin or the authority records its real-name
verification and credit standing (:func:`sandbox.access.eligibility.check_eligibility`
refuses it with the conditions not yet met).

Registration must not tell whether a login exists: a taken login answers exactly as a
created account does (:class:`Registration` carries nothing to tell them apart), and the
audit entry records what really happened. Input errors are checked before the login is
looked up, so they say nothing about it either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.clock import utc_now
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.identity.passwords import PasswordPolicy, check_policy, hash_password
from sandbox.identity.service import USERNAME_PATTERN
from sandbox.identity.sign_in import UNKNOWN_ACTOR
from sandbox.store.models import UserRow

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
"""An address with one ``@`` and a dotted domain: enough to catch a typo, no more."""


@dataclass(frozen=True)
class RegistrationForm:
    """What a visitor sends to register."""

    username: str
    password: str
    display_name: str
    email: str
    organisation: str = ""


@dataclass(frozen=True)
class Registration:
    """The answer to a registration, the same whether the login was free or taken."""

    username: str
    message: str = (
        "registration received: if the login was free the account exists now and you can "
        "sign in; it may apply for conditional data once its real-name verification and "
        "credit standing are recorded. If sign-in fails, the login was taken: register again "
        "with another one."
    )


def validate(form: RegistrationForm, policy: PasswordPolicy) -> RegistrationForm:
    """The form cleaned up, or :class:`InvalidRequest` naming the first field that is wrong."""
    username = form.username.strip()
    if not USERNAME_PATTERN.match(username):
        raise InvalidRequest(
            f"login {username!r} must be 2-63 characters of a-z, 0-9, '_', '.', '-', "
            "starting with a letter"
        )
    display_name = form.display_name.strip()
    if not display_name or len(display_name) > 200:
        raise InvalidRequest("display_name must be 1 to 200 characters")
    email = form.email.strip()
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise InvalidRequest(f"email {email[:80]!r} is not an e-mail address")
    organisation = form.organisation.strip()
    if len(organisation) > 200:
        raise InvalidRequest("organisation must be at most 200 characters")
    check_policy(policy, username=username, password=form.password)
    return RegistrationForm(username, form.password, display_name, email, organisation)


def register(
    session: Session, form: RegistrationForm, policy: PasswordPolicy, *, client: str = ""
) -> Registration:
    """Open a self-registered user account, unless the login is taken (answered alike)."""
    clean = validate(form, policy)
    detail: dict[str, object] = {"client": client} if client else {}
    taken = session.execute(
        select(UserRow.id).where(UserRow.username == clean.username)
    ).scalar_one_or_none()
    if taken is not None:
        # Hash anyway, so that a taken login takes as long to answer as a free one.
        hash_password(clean.password)
        audit.record(
            session,
            UNKNOWN_ACTOR,
            "account.register",
            object_type="user",
            object_id=taken,
            outcome="failed",
            detail={**detail, "reason": "login_taken", "username": clean.username},
        )
        return Registration(clean.username)
    now = utc_now()
    row = UserRow(
        username=clean.username,
        display_name=clean.display_name,
        role=str(Role.USER),
        organisation_id=None,
        active=True,
        created_at=now,
        email=clean.email,
        stated_organisation=clean.organisation,
        self_registered=True,
        password_hash=hash_password(clean.password),
        password_changed_at=now,
        failed_sign_ins=0,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        Actor(user_id=row.id, username=row.username, role=Role.USER),
        "account.register",
        object_type="user",
        object_id=row.id,
        detail={**detail, "username": row.username, "organisation": clean.organisation},
    )
    return Registration(clean.username)
