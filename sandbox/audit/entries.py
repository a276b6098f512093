"""An audit entry's fields, its hash, and the row it is stored as.

Shared by the writing side (:mod:`sandbox.audit.append`) and the reading and verifying side
(:mod:`sandbox.audit.chain`), so both compute an entry's hash the one same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.store.models import AuditEntryRow

GENESIS_HASH = "0" * 64
"""The back-link of the first entry."""


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry as readers see it."""

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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, used for the JSON-lines export."""
        return {
            "seq": self.seq,
            "at": self.at,
            "actor_id": self.actor_id,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "outcome": self.outcome,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical_detail(detail: Mapping[str, Any]) -> str:
    """The stored (and hashed) text of an entry's detail."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(
    *,
    seq: int,
    at: str,
    actor_id: int | None,
    actor: str,
    role: str,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str,
    detail: str,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of an entry's fields and its back-link."""
    payload = json.dumps(
        [
            seq,
            at,
            actor_id,
            actor,
            role,
            action,
            object_type,
            object_id,
            outcome,
            detail,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def hash_of_row(row: AuditEntryRow) -> str:
    """The hash ``row``'s fields give (equal to ``row.hash`` unless the row was edited)."""
    return entry_hash(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor=row.actor,
        role=row.role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        outcome=row.outcome,
        detail=row.detail,
        prev_hash=row.prev_hash,
    )


def entry_of_row(row: AuditEntryRow) -> AuditEntry:
    """A stored row as readers see it."""
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor_id=row.actor_id,
        actor=row.actor,
        role=row.role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        outcome=row.outcome,
        detail=json.loads(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
