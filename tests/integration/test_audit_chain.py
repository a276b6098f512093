"""The hash-chained audit log on both backends: recording, reading, tamper detection and
concurrent writers. Tampering is done with raw SQL, as an attacker with database access would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit import AuditQuery, VerifyReport
from sandbox.audit.chain import GENESIS_HASH, entry_hash
from sandbox.identity import service
from sandbox.identity.model import Actor, Role
from sandbox.store import transaction

Factory = sessionmaker[Session]

COLUMNS = (
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
ENTRIES = 7
"""What :func:`_seed` writes: one ``user.create`` and six ``thing.touch`` entries."""


def _seed(factory: Factory) -> Actor:
    """Write entries 1..7 by two actors: the system operator and a created user."""
    with transaction(factory) as s:
        alice = service.create_user(s, Actor.system(), username="alice", role=Role.USER)
    actor = Actor(
        user_id=alice.id,
        username=alice.username,
        role=alice.role,
        organisation_id=alice.organisation_id,
    )
    with transaction(factory) as s:
        for i in range(1, ENTRIES):
            who = actor if i % 2 else Actor.system()
            audit.record(
                s,
                who,
                "thing.touch",
                object_type="thing",
                object_id=i,
                outcome="refused" if i == 4 else "ok",
                detail={"i": i, "who": who.username},
            )
    return actor


def _verify(factory: Factory) -> VerifyReport:
    with transaction(factory) as s:
        return audit.verify(s)


def _row(conn: Any, seq: int) -> dict[str, Any]:
    row = (
        conn.execute(
            text(f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE seq = :seq"), {"seq": seq}
        )
        .mappings()
        .one()
    )
    return dict(row)


def _problem_seqs(report: VerifyReport) -> list[int]:
    return [p.seq for p in report.problems]


def test_record_and_verify(session_factory: Factory) -> None:
    actor = _seed(session_factory)
    report = _verify(session_factory)
    assert report.ok, report.problems
    assert report.entries_checked == ENTRIES
    assert report.head_seq == ENTRIES
    with transaction(session_factory) as s:
        entries = audit.list_entries(s, AuditQuery(limit=100))
    assert [e.seq for e in entries] == list(range(1, ENTRIES + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    first = entries[0]
    assert (first.actor_id, first.actor, first.role) == (None, "system", "admin")
    assert first.action == "user.create" and first.object_type == "user"
    assert first.object_id == str(actor.user_id)
    assert first.detail["username"] == "alice"
    second = entries[1]
    assert (second.actor_id, second.actor, second.role) == (actor.user_id, "alice", "user")
    assert second.detail == {"i": 1, "who": "alice"}


def test_empty_log_verifies(session_factory: Factory) -> None:
    report = _verify(session_factory)
    assert report.ok and report.entries_checked == 0 and report.head_seq == 0


def test_entry_written_in_callers_transaction(session_factory: Factory) -> None:
    """A rolled-back change leaves no audit entry and the head untouched."""
    _seed(session_factory)
    with pytest.raises(RuntimeError), transaction(session_factory) as s:
        audit.record(s, Actor.system(), "thing.touch", object_type="thing", object_id=99)
        raise RuntimeError("abort")
    report = _verify(session_factory)
    assert report.ok and report.entries_checked == ENTRIES and report.head_seq == ENTRIES


def test_list_and_iter_filters(session_factory: Factory) -> None:
    actor = _seed(session_factory)
    with transaction(session_factory) as s:

        def seqs(**kw: Any) -> list[int]:
            return [e.seq for e in audit.list_entries(s, AuditQuery(**kw))]

        def all_seqs(**kw: Any) -> list[int]:
            return [e.seq for e in audit.iter_entries(s, AuditQuery(**kw))]

        assert seqs() == list(range(1, 8))
        assert seqs(action="user.create") == [1]
        assert seqs(action="thing.touch") == [2, 3, 4, 5, 6, 7]
        assert seqs(action="nope") == []
        assert seqs(object_type="user") == [1]
        assert seqs(object_type="thing", object_id="3") == [4]
        assert seqs(actor="alice") == [2, 4, 6]
        assert seqs(actor="system") == [1, 3, 5, 7]
        assert seqs(actor="system", action="thing.touch") == [3, 5, 7]
        # Paging: after_seq is exclusive, limit caps the page.
        assert seqs(limit=3) == [1, 2, 3]
        assert seqs(after_seq=3, limit=3) == [4, 5, 6]
        assert seqs(after_seq=6, limit=3) == [7]
        assert seqs(after_seq=7) == []
        # iter_entries streams every match and ignores the page limit.
        assert all_seqs(limit=2) == list(range(1, 8))
        assert all_seqs(actor="alice", after_seq=2) == [4, 6]
        exported = [e.to_dict() for e in audit.iter_entries(s, AuditQuery(object_id="3"))]
        assert len(exported) == 1
        assert {
            k: exported[0][k] for k in ("seq", "actor_id", "actor", "role", "outcome", "detail")
        } == {
            "seq": 4,
            "actor_id": actor.user_id,
            "actor": "alice",
            "role": "user",
            "outcome": "ok",
            "detail": {"i": 3, "who": "alice"},
        }
        assert [e.outcome for e in audit.iter_entries(s, AuditQuery(object_id="4"))] == ["refused"]


# --- Tampering ----------------------------------------------------------------------------------


def _edit_detail(conn: Any) -> None:
    conn.execute(text("UPDATE audit_log SET detail = :d WHERE seq = 4"), {"d": '{"i":99}'})


def _delete_middle(conn: Any) -> None:
    conn.execute(text("DELETE FROM audit_log WHERE seq = 4"))


def _delete_last(conn: Any) -> None:
    conn.execute(text("DELETE FROM audit_log WHERE seq = 7"))


def _insert_forged(conn: Any) -> None:
    """Make room at seq 4, insert a forged entry with a valid hash and back-link, fix the head."""
    conn.execute(text("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 4"))
    conn.execute(text("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000"))
    prev = _row(conn, 3)
    forged: dict[str, Any] = {
        "seq": 4,
        "at": prev["at"],
        "actor_id": None,
        "actor": "system",
        "role": "admin",
        "action": "thing.touch",
        "object_type": "thing",
        "object_id": "42",
        "outcome": "ok",
        "detail": '{"forged":true}',
        "prev_hash": prev["hash"],
    }
    forged["hash"] = entry_hash(**forged)
    conn.execute(
        text(
            "INSERT INTO audit_log (seq, at, actor_id, actor, role, action, object_type, "
            "object_id, outcome, detail, prev_hash, hash) VALUES (:seq, :at, :actor_id, "
            ":actor, :role, :action, :object_type, :object_id, :outcome, :detail, "
            ":prev_hash, :hash)"
        ),
        forged,
    )
    last = _row(conn, 8)
    conn.execute(text("UPDATE audit_head SET seq = 8, hash = :h WHERE id = 1"), {"h": last["hash"]})


def _swap_rows(conn: Any) -> None:
    """Reorder: entries 3 and 5 trade places (every column but seq)."""
    three, five = _row(conn, 3), _row(conn, 5)
    assignments = ", ".join(f"{c} = :{c}" for c in COLUMNS)
    stmt = text(f"UPDATE audit_log SET {assignments} WHERE seq = :seq")
    conn.execute(stmt, {**five, "seq": 3})
    conn.execute(stmt, {**three, "seq": 5})


def _edit_head_hash(conn: Any) -> None:
    conn.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": "f" * 64})


def _rewind_head(conn: Any) -> None:
    """Move the head back to entry 5 with entry 5's own hash: entries 6-7 look appended."""
    five = _row(conn, 5)
    conn.execute(text("UPDATE audit_head SET seq = 5, hash = :h WHERE id = 1"), {"h": five["hash"]})


def _append_without_head(conn: Any) -> None:
    """Append a well-formed entry 8 but leave the head at 7."""
    last = _row(conn, 7)
    forged: dict[str, Any] = {**last, "seq": 8, "prev_hash": last["hash"]}
    del forged["hash"]
    forged["hash"] = entry_hash(**forged)
    conn.execute(
        text(
            "INSERT INTO audit_log (seq, at, actor_id, actor, role, action, object_type, "
            "object_id, outcome, detail, prev_hash, hash) VALUES (:seq, :at, :actor_id, "
            ":actor, :role, :action, :object_type, :object_id, :outcome, :detail, "
            ":prev_hash, :hash)"
        ),
        forged,
    )


TAMPERS: dict[str, tuple[Callable[[Any], None], list[int], str]] = {
    # name: (tamper, seqs of the expected problems in order, words of the first problem)
    "edit_detail": (_edit_detail, [4], "edited"),
    "delete_middle": (_delete_middle, [5, 5], "expected entry 4"),
    "delete_last": (_delete_last, [7], "head names entry 7"),
    "insert_forged": (_insert_forged, [5, 5, 6, 7, 8], "back-link"),
    "swap_rows": (_swap_rows, [3, 3, 4, 5, 5, 6], "back-link"),
    "edit_head_hash": (_edit_head_hash, [7], "head"),
    "rewind_head": (_rewind_head, [5], "head names entry 5"),
    "append_without_head": (_append_without_head, [7], "log ends at 8"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_verify_detects_tampering(session_factory: Factory, db_engine: Engine, tamper: str) -> None:
    _seed(session_factory)
    assert _verify(session_factory).ok
    change, expected_seqs, words = TAMPERS[tamper]
    with db_engine.begin() as conn:
        change(conn)
    report = _verify(session_factory)
    assert not report.ok
    assert _problem_seqs(report) == expected_seqs, report.problems
    assert words in report.problems[0].problem


# --- Concurrency --------------------------------------------------------------------------------

THREADS = 40
PER_THREAD = 5


def test_concurrent_writers_keep_the_chain(session_factory: Factory) -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(PER_THREAD):
                with transaction(session_factory) as s:
                    audit.record(
                        s,
                        Actor.system(),
                        "thing.touch",
                        object_type="thing",
                        object_id=f"{t}-{i}",
                        detail={"t": t, "i": i},
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    report = _verify(session_factory)
    assert report.ok, report.problems
    assert report.entries_checked == THREADS * PER_THREAD
    assert report.head_seq == THREADS * PER_THREAD
    with transaction(session_factory) as s:
        entries = list(audit.iter_entries(s, AuditQuery()))
    assert [e.seq for e in entries] == list(range(1, THREADS * PER_THREAD + 1))
    assert sorted(e.object_id for e in entries) == sorted(
        f"{t}-{i}" for t in range(THREADS) for i in range(PER_THREAD)
    )
    # Each writer's own entries appear in the order it wrote them.
    for t in range(THREADS):
        mine = [e.detail["i"] for e in entries if e.detail["t"] == t]
        assert mine == list(range(PER_THREAD))
