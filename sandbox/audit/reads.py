"""Reading the trail is itself audited: the page read, the export and the verification.

These are the services the API and the CLI both call, so a read of the log is recorded
once and the same way whichever door it came through. Each takes the caller's session and
records in its transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.chain import (
    AuditEntry,
    AuditQuery,
    VerifyReport,
    list_entries,
    record,
    record_at_commit,
    verify,
)
from sandbox.identity.model import Actor


def read_entries(session: Session, actor: Actor, query: AuditQuery) -> list[AuditEntry]:
    """A page of the log, the read recorded after it (so the page never holds its own)."""
    entries = list_entries(session, query)
    record_at_commit(
        session,
        actor,
        "audit.read",
        object_type="audit",
        object_id="log",
        detail={"after_seq": query.after_seq, "limit": query.limit},
    )
    return entries


def record_export(session: Session, actor: Actor, detail: Mapping[str, Any] | None = None) -> None:
    """Record an export of the whole log before it is streamed (``detail``: e.g. the file)."""
    record(session, actor, "audit.export", object_type="audit", object_id="log", detail=detail)


def export_checkpoints(session: Session, actor: Actor, anchor: AuditAnchor) -> Iterator[str]:
    """Record the export, then the anchor's lines for auditors: the public key first, then
    every signed checkpoint (hashes only, no entry's content).
    """
    record(
        session,
        actor,
        "audit.checkpoints_export",
        object_type="audit",
        object_id="anchor",
        detail={"key": anchor.key_id},
    )
    return anchor.export()


def verify_chain(session: Session, actor: Actor) -> VerifyReport:
    """Walk the whole chain, then record the verification with its verdict."""
    report = verify(session)
    record(
        session,
        actor,
        "audit.verify",
        object_type="audit",
        object_id="log",
        outcome="ok" if report.ok else "broken",
        detail={"entries": report.entries_checked, "anchored_through": report.anchored_through},
    )
    return report
