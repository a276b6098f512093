"""Entries appended at commit (:func:`sandbox.audit.record_at_commit`), and the few
statements an append holds the chain's head for, on both backends: still in the transaction
they record, anchored after it, dropped with a rollback, in order with the entries appended
at once, and a chain that verifies after concurrent appends from two processes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.sessions import anchor_sessions
from sandbox.identity.model import Actor
from sandbox.store import transaction
from sandbox.store.db import make_session_factory
from sandbox.store.models import AuditEntryRow, UserRow

Factory = sessionmaker[Session]


@pytest.fixture
def anchor(tmp_path: Path) -> AuditAnchor:
    return AuditAnchor(tmp_path / "secrets" / "audit.key", tmp_path / "anchor" / "cp.jsonl")


@pytest.fixture
def anchored(db_engine: Engine, anchor: AuditAnchor) -> Factory:
    factory = make_session_factory(db_engine)
    anchor_sessions(factory, anchor)
    return factory


def _touch(session: Session, object_id: str, *, at_commit: bool) -> None:
    if at_commit:
        audit.record_at_commit(
            session, Actor.system(), "thing.touch", object_type="thing", object_id=object_id
        )
    else:
        audit.record(
            session, Actor.system(), "thing.touch", object_type="thing", object_id=object_id
        )


def _objects(factory: Factory) -> list[str]:
    with transaction(factory) as s:
        return [e.object_id for e in audit.iter_entries(s, audit.AuditQuery())]


def _verified(factory: Factory) -> audit.VerifyReport:
    with transaction(factory) as s:
        return audit.verify(s)


def test_an_entry_at_commit_is_written_by_the_commit_and_anchored(anchored: Factory) -> None:
    with transaction(anchored) as s:
        _touch(s, "read", at_commit=True)
        s.execute(select(UserRow.id)).all()  # the transaction's own work goes on
        waiting = s.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    assert waiting == 0  # a raw statement does not make it append early
    report = _verified(anchored)
    assert report.ok and report.head_seq == 1 and report.anchored_through == 1, report


def test_its_statements_are_the_transactions_last(anchored: Factory, db_engine: Engine) -> None:
    """The head is locked by the append, after the transaction's own statements, and held
    for at most three statements (two on PostgreSQL) before the COMMIT.
    """
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()).upper())

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        with transaction(anchored) as s:
            _touch(s, "read", at_commit=True)
            s.execute(select(UserRow.id)).all()
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    locking = next(i for i, sql in enumerate(statements) if "FROM AUDIT_HEAD" in sql)
    assert all("USERS" not in sql for sql in statements[locking:]), statements
    held = statements[locking + 1 :]
    assert len(held) <= (1 if db_engine.dialect.name == "postgresql" else 3), held


def test_a_rollback_drops_the_entry_with_the_read(anchored: Factory, anchor: AuditAnchor) -> None:
    with pytest.raises(RuntimeError), transaction(anchored) as s:
        _touch(s, "refused", at_commit=True)
        raise RuntimeError("the read failed")
    with transaction(anchored) as s:
        _touch(s, "next", at_commit=False)
    assert _objects(anchored) == ["next"]
    assert _verified(anchored).ok
    assert len(list(anchor.lines())) == 1


def test_entries_keep_the_order_they_were_recorded_in(anchored: Factory) -> None:
    with transaction(anchored) as s:
        _touch(s, "first", at_commit=True)
        _touch(s, "second", at_commit=False)  # appends what waits, then itself
        _touch(s, "third", at_commit=True)
        seen = [e.object_id for e in audit.list_entries(s, audit.AuditQuery())]
        _touch(s, "fourth", at_commit=True)
    assert seen == ["first", "second", "third"]  # a read of the log sees what waited
    assert _objects(anchored) == ["first", "second", "third", "fourth"]
    assert _verified(anchored).ok


def test_a_savepoint_rolled_back_keeps_the_anchoring_of_earlier_entries(
    anchored: Factory,
) -> None:
    """A savepoint's rollback used to forget every entry noted for the checkpoint, so the
    transaction's earlier entries were committed but never anchored.
    """
    with transaction(anchored) as s:
        _touch(s, "before", at_commit=False)
        with pytest.raises(RuntimeError), s.begin_nested():
            _touch(s, "inside", at_commit=True)  # in a savepoint: appended at once
            raise RuntimeError("the savepoint is rolled back")
        _touch(s, "after", at_commit=True)
    assert _objects(anchored) == ["before", "after"]
    report = _verified(anchored)
    assert report.ok and report.unanchored == 0, report


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sandbox import audit
    from sandbox.audit.anchor import AuditAnchor
    from sandbox.audit.sessions import anchor_sessions
    from sandbox.identity.model import Actor
    from sandbox.store import transaction
    from sandbox.store.db import make_engine, make_session_factory

    url, key, checkpoints, name, count = sys.argv[1:]
    factory = make_session_factory(make_engine(url))
    anchor_sessions(factory, AuditAnchor(Path(key), Path(checkpoints)))
    for i in range(int(count)):
        with transaction(factory) as s:
            record = audit.record_at_commit if i % 2 else audit.record
            record(s, Actor.system(), "thing.touch", object_type="thing",
                   object_id=f"{name}-{i}", detail={"i": i})
    """
)


def test_two_processes_appending_keep_one_verifiable_chain(
    anchored: Factory, anchor: AuditAnchor, db_url: str, tmp_path: Path
) -> None:
    count = 60
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                db_url,
                str(tmp_path / "secrets" / "audit.key"),
                str(anchor.path),
                name,
                str(count),
            ]
        )
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0]
    report = _verified(anchored)
    assert report.ok, report.problems
    assert report.head_seq == 2 * count and report.anchored_through == 2 * count
    assert report.unanchored == 0
    with transaction(anchored) as s:
        rows = s.execute(select(AuditEntryRow.object_id).order_by(AuditEntryRow.seq)).scalars()
        ids = list(rows)
    for name in ("a", "b"):
        assert [i for i in ids if i.startswith(name)] == [f"{name}-{i}" for i in range(count)]
