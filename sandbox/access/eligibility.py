"""Whether an account may apply for (and take up) conditional data (Qingdao art. 16)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sandbox.access.errors import NotEligible
from sandbox.access.rules import eligibility_failures
from sandbox.errors import PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.identity.service import get_user


def check_eligibility(session: Session, actor: Actor, doing: str = "apply for") -> None:
    """Refuse unless ``actor`` is a user account whose current eligibility facts are met.

    Raises:
        PermissionDenied: Not a user account.
        NotEligible: Naming every failed condition.
    """
    if actor.role is not Role.USER or actor.user_id is None:
        raise PermissionDenied(f"only a user account may {doing} conditional data")
    user = get_user(session, actor.user_id)
    failed = eligibility_failures({record.fact.value: record.value for record in user.eligibility})
    if failed:
        raise NotEligible(failed)
