"""Archiving and pruning the audit chain on both backends (:mod:`sandbox.audit.archive`):
what remains verifies, a front of the log deleted without a prune record is caught, and an
archive cut at a moment given in another time zone takes exactly the entries before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.archive import archive, prune, verify_archive
from sandbox.audit.sessions import anchor_sessions
from sandbox.errors import Conflict
from sandbox.identity.model import Actor
from sandbox.store import make_session_factory, transaction

Factory = sessionmaker[Session]


@pytest.fixture
def anchor(tmp_path: Path) -> AuditAnchor:
    return AuditAnchor(tmp_path / "secrets" / "audit.key", tmp_path / "anchor" / "cp.jsonl")


@pytest.fixture
def anchored(db_engine: Engine, anchor: AuditAnchor) -> Factory:
    factory = make_session_factory(db_engine)
    anchor_sessions(factory, anchor)
    return factory


def _seed(factory: Factory, count: int) -> None:
    for i in range(count):
        with transaction(factory) as session:
            audit.record(session, Actor.system(), "thing.touch", object_type="t", object_id=i)


def test_prune_keeps_the_rest_verifiable(
    anchored: Factory, anchor: AuditAnchor, db_engine: Engine, tmp_path: Path
) -> None:
    _seed(anchored, 6)
    with anchored() as session:
        cut = session.execute(text("SELECT at FROM audit_log WHERE seq = 5")).scalar_one()
    # The moment of entry 5, written in UTC+8: entries 1-4 are before it.
    moment = datetime.fromisoformat(cut).astimezone(timezone(timedelta(hours=8)))
    with transaction(anchored) as session:
        written = archive(session, Actor.system(), anchor, before=moment, out_dir=tmp_path)
    assert (written.from_seq, written.through_seq) == (1, 4)
    now = datetime.now(UTC) + timedelta(days=2)
    with transaction(anchored) as session, pytest.raises(Conflict, match="retention"):
        prune(session, Actor.system(), anchor, written.path, retention_days=30, now=now)
    with transaction(anchored) as session:
        prune(session, Actor.system(), anchor, written.path, retention_days=1, now=now)
    with anchored() as session:
        report = audit.verify(session)
        assert report.ok, report.problems
        assert verify_archive(session, anchor, written.path).ok
    # Deleting the next entries by hand, with no prune record naming them, is caught.
    with db_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq IN (5, 6)"))
    with anchored() as session:
        report = audit.verify(session)
    assert not report.ok
    assert any("deleted" in p.problem for p in report.problems), report.problems
