"""Appending to the audit chain, with the head row locked as briefly as possible.

Every append reads the chain's head (one row), links the new entry to it and moves the
head on, in the caller's transaction, so the change and its entry commit together or not
at all. Two appenders must not both read the same head, so the head row is locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every transaction already holds the
write lock) from the read until the transaction ends. Under load, with several API
processes on one database, every audited request queues on that one lock, and each
statement the holder still sends before its COMMIT is a round trip (and a wait for its
process's GIL) that every waiter sits through.

So the lock is held for as few statements as possible:

- :func:`record` appends at once (its caller gets the entry's number and hash). On
  PostgreSQL it sends two statements: the locking read of the head, then one statement
  that inserts the entries and moves the head, guarded so it writes nothing if the log
  runs past the head (someone wrote the table directly), in which case the entry goes
  after the last entry instead, as before.
- :func:`record_at_commit` (audited reads, which need nothing back) keeps the entry in
  the session and appends it as the transaction's last work, just before COMMIT: the
  lock is then held for those two statements and the COMMIT only. The entry is still in
  the transaction it records: a rollback drops it with the read, and a statement that
  reads the audit tables first appends what is waiting, so the transaction sees its own
  entries in order. Inside a savepoint, it appends at once (a rolled-back savepoint must
  take its entries with it).

Entries appended outside any savepoint are anchored after the commit without reading them
back (nothing but a rollback of the whole transaction can drop them); those appended
inside a savepoint are checked before the commit (:mod:`sandbox.audit.sessions`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    event,
    exists,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from sandbox.audit.entries import AuditEntry, canonical_detail, entry_hash
from sandbox.audit.sessions import note_appended
from sandbox.clock import utc_now
from sandbox.errors import SandboxInternalError
from sandbox.identity.model import Actor
from sandbox.store.models import AuditEntryRow, AuditHeadRow

__all__ = ["append_waiting", "record", "record_at_commit"]

log = logging.getLogger(__name__)

_LOG = cast(Table, AuditEntryRow.__table__)
_HEAD = cast(Table, AuditHeadRow.__table__)
_AUDIT_TABLES = frozenset({_LOG, _HEAD})
_WAITING_KEY = "sandbox.audit.waiting"
"""Session info: the entries :func:`record_at_commit` keeps until the commit."""

_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class _Draft:
    """An entry before its place in the chain is known."""

    actor_id: int | None
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class _Waiting:
    """Drafts kept for the commit of one (outermost) transaction."""

    transaction: SessionTransaction
    drafts: list[_Draft]


def _draft(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    outcome: str,
    detail: Mapping[str, Any] | None,
) -> _Draft:
    return _Draft(
        actor_id=actor.user_id,
        actor=actor.username,
        role=str(actor.role),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        outcome=outcome,
        detail=canonical_detail(detail or {}),
    )


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: str | int,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry now, in ``session``'s transaction (the head row stays locked until
    the transaction ends), and return it.
    """
    append_waiting(session)  # entries recorded earlier in this transaction come first
    session.flush()
    (entry,) = _append(session, [_draft(actor, action, object_type, object_id, outcome, detail)])
    return entry


def record_at_commit(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: str | int,
    outcome: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append an entry as the last work of ``session``'s transaction, just before its
    COMMIT (see the module's docstring); a rollback drops it. Use it where nothing needs
    the entry back, e.g. an audited read.
    """
    draft = _draft(actor, action, object_type, object_id, outcome, detail)
    transaction = session.get_transaction()
    if transaction is None or session.in_nested_transaction():
        session.flush()
        _append(session, [draft])
        return
    waiting = session.info.get(_WAITING_KEY)
    if not isinstance(waiting, _Waiting) or waiting.transaction is not transaction:
        waiting = _Waiting(transaction, [])
        session.info[_WAITING_KEY] = waiting
    waiting.drafts.append(draft)


def append_waiting(session: Session) -> None:
    """Append the entries :func:`record_at_commit` keeps in ``session``, now."""
    waiting = session.info.pop(_WAITING_KEY, None)
    if not isinstance(waiting, _Waiting) or not waiting.drafts:
        return
    if waiting.transaction is not session.get_transaction():
        return  # kept for a transaction that has ended without a commit
    session.flush()
    _append(session, waiting.drafts)


def _append(session: Session, drafts: Sequence[_Draft]) -> list[AuditEntry]:
    """Lock the head, chain ``drafts`` after it and move the head (see the docstring)."""
    head = session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).one_or_none()
    if head is None:
        raise SandboxInternalError("the audit head row is missing; run the migrations")
    head_seq, head_hash = int(head.seq), str(head.hash)
    entries: list[AuditEntry] | None = None
    if session.get_bind().dialect.name == "postgresql":
        entries = _chain(drafts, head_seq, head_hash)
        if not _write_guarded(session, head_seq, entries):
            entries = None
    if entries is None:
        seq, prev_hash = _append_point(session, head_seq, head_hash)
        entries = _chain(drafts, seq - 1, prev_hash)
        session.execute(insert(_LOG), [_values(entry) for entry in entries])
        session.execute(
            update(_HEAD).where(_HEAD.c.id == 1).values(seq=entries[-1].seq, hash=entries[-1].hash)
        )
    for entry in entries:
        note_appended(session, entry.seq, entry.hash)
    return entries


def _chain(drafts: Sequence[_Draft], after_seq: int, after_hash: str) -> list[AuditEntry]:
    """The drafts as entries linked one after the other, from ``after_seq``."""
    entries: list[AuditEntry] = []
    seq, prev_hash = after_seq, after_hash
    for draft in drafts:
        seq += 1
        at = utc_now().isoformat(timespec="microseconds")  # under the lock: ordered by seq
        digest = entry_hash(
            seq=seq,
            at=at,
            actor_id=draft.actor_id,
            actor=draft.actor,
            role=draft.role,
            action=draft.action,
            object_type=draft.object_type,
            object_id=draft.object_id,
            outcome=draft.outcome,
            detail=draft.detail,
            prev_hash=prev_hash,
        )
        entries.append(
            AuditEntry(
                seq=seq,
                at=at,
                actor_id=draft.actor_id,
                actor=draft.actor,
                role=draft.role,
                action=draft.action,
                object_type=draft.object_type,
                object_id=draft.object_id,
                outcome=draft.outcome,
                detail=_parsed(draft.detail),
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    return entries


def _parsed(detail: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(detail)
    return parsed


def _values(entry: AuditEntry) -> dict[str, Any]:
    """The row of ``entry``; its detail in the canonical text it was hashed as."""
    values = entry.to_dict()
    values["detail"] = canonical_detail(entry.detail)
    return values


def _write_guarded(session: Session, head_seq: int, entries: Sequence[AuditEntry]) -> bool:
    """One PostgreSQL statement: insert ``entries`` and move the head to the last of them,
    only if no entry lies past the head (read after the lock, in this statement's own
    snapshot). Whether it wrote.
    """
    in_order: ColumnElement[bool] = (
        select(func.coalesce(func.max(_LOG.c.seq), 0)).scalar_subquery() <= head_seq
    )
    rows: list[Select[Any]] = [
        select(
            *(literal(value, _LOG.c[name].type).label(name) for name, value in _values(e).items())
        ).where(in_order)
        for e in entries
    ]
    source = rows[0] if len(rows) == 1 else union_all(*rows)
    appended = insert(_LOG).from_select(list(_FIELDS), source).returning(_LOG.c.seq).cte("appended")
    moved = session.execute(
        update(_HEAD)
        .where(_HEAD.c.id == 1, exists(select(appended.c.seq)))
        .values(seq=entries[-1].seq, hash=entries[-1].hash)
        .add_cte(appended)
        .returning(_HEAD.c.seq)
    ).scalar_one_or_none()
    return moved is not None


def _append_point(session: Session, head_seq: int, head_hash: str) -> tuple[int, str]:
    """Where the next entry goes: after the head, or after the last entry if the log runs
    past the head (someone wrote the table directly). Appending there keeps every audited
    write working instead of failing on a duplicate sequence number; verification still
    reports the entries that no checkpoint anchors.
    """
    last_seq = session.execute(select(func.max(_LOG.c.seq))).scalar_one_or_none() or 0
    if last_seq <= head_seq:
        return head_seq + 1, head_hash
    last_hash = session.execute(select(_LOG.c.hash).where(_LOG.c.seq == last_seq)).scalar_one()
    log.warning(
        "the audit log runs past its head (%d > %d): appending after the last entry",
        last_seq,
        head_seq,
    )
    return last_seq + 1, str(last_hash)


@event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    append_waiting(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_waiting(session: Session, transaction: SessionTransaction) -> None:
    waiting = session.info.get(_WAITING_KEY)
    if isinstance(waiting, _Waiting) and waiting.transaction is transaction:
        del session.info[_WAITING_KEY]  # rolled back (a commit appended and removed them)


@event.listens_for(Session, "do_orm_execute")
def _append_before_audit_reads(state: ORMExecuteState) -> None:
    """A statement on the audit tables sees the entries recorded before it."""
    if _WAITING_KEY in state.session.info and _AUDIT_TABLES.intersection(
        find_tables(cast(ClauseElement, state.statement), check_columns=True, include_crud=True)
    ):
        append_waiting(state.session)
