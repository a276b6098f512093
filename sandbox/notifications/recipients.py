"""Who a producer notifies: an organisation's staff, a role's holders, a dataset's grant
holders. Only active accounts; each list is sorted and free of repeats.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.clock import utc_now
from sandbox.store.models import GrantRow, UserRow

LIVE_GRANT_STATES = ("pending_acceptance", "active", "suspended")
"""Grant states whose holders still count on the dataset (a suspension freezes one)."""


def staff_of(session: Session, organisation_id: int | None, roles: Iterable[str]) -> list[int]:
    """The active accounts of ``organisation_id`` holding one of ``roles``."""
    if organisation_id is None:
        return []
    return sorted(
        session.execute(
            select(UserRow.id).where(
                UserRow.organisation_id == organisation_id,
                UserRow.role.in_([str(r) for r in roles]),
                UserRow.active.is_(True),
            )
        ).scalars()
    )


def holders_of_role(session: Session, role: str) -> list[int]:
    """Every active account with ``role`` (the authority, for platform-wide duties)."""
    return sorted(
        session.execute(
            select(UserRow.id).where(UserRow.role == str(role), UserRow.active.is_(True))
        ).scalars()
    )


def grant_holders(
    session: Session, dataset: str, provider_org_id: int, *, now: datetime | None = None
) -> list[int]:
    """Holders of unexpired, unrevoked grants covering ``dataset``."""
    moment = now or utc_now()
    rows = session.execute(
        select(GrantRow).where(
            GrantRow.provider_org_id == provider_org_id,
            GrantRow.status.in_(LIVE_GRANT_STATES),
            GrantRow.valid_until > moment,
        )
    ).scalars()
    return sorted({row.holder_id for row in rows if dataset in row.datasets})
