"""Sessions that anchor what they append: a checkpoint after every commit with audit entries.

:func:`anchor_sessions` ties an :class:`~sandbox.audit.anchor.AuditAnchor` to a session
factory. :mod:`sandbox.audit.append` notes each entry it appends in the session. An entry
appended inside a savepoint is checked just before the commit against the rows still in
the transaction (a savepoint rolled back may have dropped it); one appended outside any
savepoint can only go with the whole transaction, so it needs no check (and the commit no
extra statement while the chain's head is locked). Once the commit succeeded the entries
are signed into the checkpoint file. A rollback forgets the notes, so nothing that did not
commit is ever anchored. The anchor also rides in every session's ``info``, where
:func:`sandbox.audit.chain.verify` finds it.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from sandbox.audit.anchor import AuditAnchor
from sandbox.store.models import AuditEntryRow

__all__ = ["ANCHOR_KEY", "PENDING_KEY", "anchor_of", "anchor_sessions", "note_appended"]

ANCHOR_KEY = "sandbox.audit.anchor"
PENDING_KEY = "sandbox.audit.pending"
_CONFIRMED_KEY = "sandbox.audit.confirmed"

log = logging.getLogger(__name__)


def anchor_sessions(factory: sessionmaker[Session], anchor: AuditAnchor) -> None:
    """Make every session of ``factory`` checkpoint its audit entries into ``anchor``."""
    factory.configure(info={ANCHOR_KEY: anchor})
    event.listen(factory, "before_commit", _confirm)
    event.listen(factory, "after_commit", _write)
    event.listen(factory, "after_transaction_end", _forget)


def anchor_of(session: Session) -> AuditAnchor | None:
    """The anchor of ``session``'s platform, if it has one."""
    anchor = session.info.get(ANCHOR_KEY)
    return anchor if isinstance(anchor, AuditAnchor) else None


def note_appended(session: Session, seq: int, digest: str) -> None:
    """Remember an entry appended in this transaction, to anchor it after the commit."""
    if ANCHOR_KEY not in session.info:
        return
    key = PENDING_KEY if session.in_nested_transaction() else _CONFIRMED_KEY
    session.info.setdefault(key, []).append((seq, digest))


def _confirm(session: Session) -> None:
    pending: list[tuple[int, str]] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    session.flush()
    found = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).where(
            AuditEntryRow.seq.in_([seq for seq, _ in pending])
        )
    ).all()
    present = {(seq, digest) for seq, digest in found}
    session.info.setdefault(_CONFIRMED_KEY, []).extend(p for p in pending if p in present)


def _write(session: Session) -> None:
    confirmed: list[tuple[int, str]] = session.info.pop(_CONFIRMED_KEY, [])
    anchor = anchor_of(session)
    if not confirmed or anchor is None:
        return
    try:
        anchor.checkpoint(confirmed)
    except OSError:
        # The change is committed; failing the request now would not undo it. The entries
        # stay unanchored, and verification reports them so.
        log.exception(
            "could not write the audit checkpoint of entries %s", [seq for seq, _ in confirmed]
        )


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """At the end of the outermost transaction (after a commit has written its checkpoint,
    or after a rollback), forget its notes. A savepoint rolled back keeps them: the entries
    appended before it are still in the transaction, and those noted inside it are checked
    against the rows before the commit.
    """
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(_CONFIRMED_KEY, None)
