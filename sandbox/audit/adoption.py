"""The first checkpoint of a log that existed before its anchor did.

An installation upgraded to anchored auditing, or given a new, empty checkpoint file, holds
entries that no checkpoint covers. At start, when the checkpoint file has no checkpoint yet
and the chain as stored verifies, its entries are anchored as they stand (trust on first
use, recorded as such in the log). A chain that does not verify is not adopted: its breaks
stay visible to every later verification.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.chain import record, verify
from sandbox.identity.model import Actor
from sandbox.store.db import transaction
from sandbox.store.models import AuditEntryRow

__all__ = ["anchor_existing_log"]

log = logging.getLogger(__name__)


def anchor_existing_log(sessions: sessionmaker[Session], anchor: AuditAnchor) -> None:
    """Anchor the stored log once, when the checkpoint file is still empty."""
    if any(True for _ in anchor.lines()):
        return
    with transaction(sessions) as session:
        existing = session.execute(
            select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq)
        ).all()
        if not existing:
            return
        report = verify(session, anchor)
        if not report.ok:
            log.error("the stored audit log does not verify; it is not anchored as it stands")
            return
        anchor.checkpoint((seq, digest) for seq, digest in existing)
        record(
            session,
            Actor.system(),
            "audit.anchor_adopted",
            object_type="audit",
            object_id="log",
            detail={"entries": len(existing), "key": anchor.key_id},
        )
