"""The append-only, hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, and a one-row head
table names the newest entry. Editing, deleting, inserting or reordering entries therefore
breaks either a hash, the sequence, a back-link or the head, and :func:`verify` says which.
Entries are written in the caller's transaction, so a change and its audit entry commit
together or not at all.

Someone who can write the database can also recompute the hashes and the head, so the
chain is anchored outside it (:mod:`sandbox.audit.anchor`): every committed entry's hash is
signed into a checkpoint file, and :func:`verify` holds the database against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.audit.anchor import AnchoredRecord, AuditAnchor
from sandbox.audit.append import record, record_at_commit
from sandbox.audit.entries import GENESIS_HASH, AuditEntry, entry_hash
from sandbox.audit.entries import entry_of_row as _to_entry
from sandbox.audit.entries import hash_of_row as _hash_row
from sandbox.audit.sessions import anchor_of
from sandbox.store.models import AuditEntryRow, AuditHeadRow

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditQuery",
    "VerifyProblem",
    "VerifyReport",
    "entry_hash",
    "iter_entries",
    "list_entries",
    "record",
    "record_at_commit",
    "verify",
]


@dataclass(frozen=True)
class VerifyProblem:
    """One place where the chain does not hold."""

    seq: int
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of walking the whole chain."""

    ok: bool
    entries_checked: int
    head_seq: int
    problems: tuple[VerifyProblem, ...] = field(default_factory=tuple)
    anchored_through: int = 0
    """The highest entry whose hash a signed checkpoint holds (0: no anchor or none yet)."""
    unanchored: int = 0
    """Entries after ``anchored_through``: checked by the chain only, not yet by a checkpoint."""
    checkpoints: int = 0
    """Signed checkpoints read."""


def verify(session: Session, anchor: AuditAnchor | None = None) -> VerifyReport:
    """Walk the chain in sequence order and report every break in it, then hold it against
    the signed checkpoints of ``anchor`` (by default the anchor of the session's platform).

    Never raises on a damaged log: every break is a problem of the report.
    """
    anchor = anchor or anchor_of(session)
    anchored = anchor.load() if anchor is not None else AnchoredRecord()
    problems: list[VerifyProblem] = [VerifyProblem(0, p) for p in anchored.problems]
    base_seq, prev_hash = _pruned_base(session, anchored, problems)
    expected_seq = base_seq + 1
    checked = 0
    seen: set[int] = set()
    first_difference: int | None = None
    rows = session.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq)).scalars()
    for row in rows.yield_per(2000):
        checked += 1
        seen.add(row.seq)
        if row.seq != expected_seq:
            problems.append(
                VerifyProblem(
                    row.seq, f"expected entry {expected_seq} here: entries were deleted or inserted"
                )
            )
        if row.prev_hash != prev_hash:
            problems.append(
                VerifyProblem(
                    row.seq,
                    "back-link does not match the previous entry's hash: "
                    "an entry before it was changed, removed or moved",
                )
            )
        if _hash_row(row) != row.hash:
            problems.append(
                VerifyProblem(
                    row.seq, "entry content does not match its hash: the entry was edited"
                )
            )
        if first_difference is None:
            difference = _against_anchor(anchored, row)
            if difference is not None:
                first_difference = row.seq
                problems.append(VerifyProblem(row.seq, difference))
        expected_seq = row.seq + 1
        prev_hash = row.hash
    missing = sorted(seq for seq in set(anchored.hashes) - seen if seq > base_seq)
    if missing:
        problems.append(
            VerifyProblem(
                missing[0],
                f"{len(missing)} anchored entries are missing from the database, "
                f"from entry {missing[0]}: entries were deleted or the log truncated",
            )
        )
    head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one_or_none()
    head_seq = head.seq if head else -1
    if head is None:
        problems.append(VerifyProblem(0, "the audit head row is missing"))
    elif head.seq != expected_seq - 1 or head.hash != prev_hash:
        problems.append(
            VerifyProblem(
                head.seq,
                f"the head names entry {head.seq} but the log ends at "
                f"{expected_seq - 1}: entries at the end were removed "
                "or the head was edited",
            )
        )
    through = anchored.through
    return VerifyReport(
        ok=not problems,
        entries_checked=checked,
        head_seq=head_seq,
        problems=tuple(problems),
        anchored_through=through,
        unanchored=sum(1 for seq in seen if seq > through),
        checkpoints=anchored.checkpoints,
    )


PRUNED_ACTION = "audit.pruned"
"""The entry :func:`sandbox.audit.archive.prune` appends when it removes archived entries."""


def _pruned_base(
    session: Session, anchored: AnchoredRecord, problems: list[VerifyProblem]
) -> tuple[int, str]:
    """Where the live chain starts: after the entries a prune record says were archived
    (:mod:`sandbox.audit.archive`), else at the genesis. A front of the log that is gone
    with no prune record naming it is left to the walk, which reports it as deleted.
    """
    first = session.execute(
        select(AuditEntryRow).order_by(AuditEntryRow.seq).limit(1)
    ).scalar_one_or_none()
    if first is None or first.seq == 1:
        return 0, GENESIS_HASH
    details = session.execute(
        select(AuditEntryRow.detail).where(AuditEntryRow.action == PRUNED_ACTION)
    ).scalars()
    through = first.seq - 1
    for text in details:
        detail = json.loads(text)
        if detail.get("through_seq") == through and detail.get("last_hash") == first.prev_hash:
            anchored_hash = anchored.hashes.get(through)
            if anchored_hash is not None and anchored_hash != first.prev_hash:
                problems.append(
                    VerifyProblem(
                        first.seq,
                        "the archived entry before the live chain differs from its signed "
                        "checkpoint: the prune record or the first live entry was edited",
                    )
                )
            return through, first.prev_hash
    return 0, GENESIS_HASH


def _against_anchor(anchored: AnchoredRecord, row: AuditEntryRow) -> str | None:
    """Why ``row`` disagrees with the checkpoints, or ``None``."""
    digest = anchored.hashes.get(row.seq)
    if digest is not None and digest != row.hash:
        return (
            "entry differs from the hash its signed checkpoint holds: this or an earlier "
            "entry was edited, removed, inserted or moved and the hashes recomputed"
        )
    if digest is None and row.seq < anchored.through:
        return (
            "entry is in no signed checkpoint although later entries are: it was "
            "inserted into the database (or its checkpoint was never written)"
        )
    return None


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the log; every field is optional."""

    after_seq: int = 0
    limit: int = 100
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None


def list_entries(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """A page of entries in sequence order, after ``query.after_seq``."""
    return list(_select(session, query, limit=query.limit))


def iter_entries(session: Session, query: AuditQuery) -> Iterator[AuditEntry]:
    """Every matching entry, streamed in sequence order (for the export)."""
    yield from _select(session, query, limit=None)


def _select(session: Session, query: AuditQuery, limit: int | None) -> Iterator[AuditEntry]:
    stmt = select(AuditEntryRow).where(AuditEntryRow.seq > query.after_seq)
    if query.action:
        stmt = stmt.where(AuditEntryRow.action == query.action)
    if query.object_type:
        stmt = stmt.where(AuditEntryRow.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditEntryRow.object_id == query.object_id)
    if query.actor:
        stmt = stmt.where(AuditEntryRow.actor == query.actor)
    stmt = stmt.order_by(AuditEntryRow.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in session.execute(stmt).scalars().yield_per(2000):
        yield _to_entry(row)
