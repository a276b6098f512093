"""Response schemas of the audit trail and its verification."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.schemas.common import FromDomain


class AuditEntryPublic(FromDomain):
    """One audit entry. ``role`` and ``outcome`` stay text: the trail keeps what was
    written when, whatever the roles are today.
    """

    seq: int
    at: str
    actor_id: int | None
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of the audit log."""

    data: list[AuditEntryPublic]
    count: int


class AuditProblemPublic(FromDomain):
    """One break in the chain."""

    seq: int
    problem: str


class AuditVerifyPublic(FromDomain):
    """The outcome of verifying the whole chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    problems: list[AuditProblemPublic]
    anchored_through: int
    """The highest entry a signed checkpoint outside the database holds."""
    unanchored: int
    """Entries after ``anchored_through``, held by the chain only."""
    checkpoints: int
    """Signed checkpoints read."""


class AuditArchivePublic(BaseModel):
    """One archive file (``sandbox audit archive``) verified against the live chain."""

    file: str
    from_seq: int
    through_seq: int
    entries: int
    pruned: bool
    """Whether the live chain no longer holds these entries (a prune record names them)."""
    ok: bool
    problems: list[str]
