"""The audit chain anchored outside the database, on both backends.

An attacker with write access to the database rewrites the log *and recomputes every hash
and the head*: the chain alone then verifies (shown first in each case), and the signed
checkpoints catch it, naming the first entry that differs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit.adoption import anchor_existing_log
from sandbox.audit.anchor import AuditAnchor
from sandbox.audit.chain import GENESIS_HASH, entry_hash
from sandbox.audit.sessions import anchor_sessions
from sandbox.identity.model import Actor
from sandbox.store import make_session_factory, transaction

Factory = sessionmaker[Session]
COLUMNS = (
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
ENTRIES = 20


@pytest.fixture
def anchor(tmp_path: Path) -> AuditAnchor:
    return AuditAnchor(tmp_path / "secrets" / "audit.key", tmp_path / "anchor" / "cp.jsonl")


@pytest.fixture
def anchored(db_engine: Engine, anchor: AuditAnchor) -> Factory:
    """Sessions that checkpoint what they append (as the platform's do)."""
    factory = make_session_factory(db_engine)
    anchor_sessions(factory, anchor)
    return factory


def _seed(factory: Factory) -> None:
    """Entries 1..20, in transactions of one to three entries."""
    written = 0
    while written < ENTRIES:
        with transaction(factory) as s:
            for _ in range(min(1 + written % 3, ENTRIES - written)):
                written += 1
                audit.record(
                    s,
                    Actor.system(),
                    "thing.touch",
                    object_type="thing",
                    object_id=written,
                    detail={"i": written},
                )


def _rows(conn: Any) -> list[dict[str, Any]]:
    found = conn.execute(text(f"SELECT {', '.join(COLUMNS)} FROM audit_log ORDER BY seq"))
    return [dict(r) for r in found.mappings()]


def _rewrite(
    engine: Engine, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Replace the whole log by ``change(rows)``, renumbered, with every hash and the head
    recomputed: what an attacker with the database (and our source code) can do."""
    with engine.begin() as conn:
        rows = change(_rows(conn))
        conn.execute(text("DELETE FROM audit_log"))
        prev = GENESIS_HASH
        for seq, row in enumerate(rows, start=1):
            fields = {k: row[k] for k in COLUMNS if k not in ("seq", "hash", "prev_hash")}
            new = {**fields, "seq": seq, "prev_hash": prev}
            new["hash"] = entry_hash(**new)
            conn.execute(
                text(
                    f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES "
                    f"({', '.join(':' + c for c in COLUMNS)})"
                ),
                new,
            )
            prev = new["hash"]
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
            {"s": len(rows), "h": prev},
        )


def _edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows[7]["detail"] = json.dumps({"i": 999})
    return rows


def _delete(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:7] + rows[8:]


def _insert(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    forged = {**rows[6], "object_id": "42", "detail": json.dumps({"forged": True})}
    return rows[:7] + [forged] + rows[7:]


def _swap(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows[7], rows[9] = rows[9], rows[7]
    return rows


def _truncate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:-5]


TAMPERING = {
    "edit": (_edit, 8),
    "delete": (_delete, 8),
    "insert": (_insert, 8),
    "swap": (_swap, 8),
    "truncate": (_truncate, ENTRIES - 4),
}


def test_untampered_log_is_anchored_to_its_head(anchored: Factory) -> None:
    _seed(anchored)
    with transaction(anchored) as s:
        report = audit.verify(s)
    assert report.ok, report.problems
    assert (report.entries_checked, report.anchored_through, report.unanchored) == (
        ENTRIES,
        ENTRIES,
        0,
    )
    assert report.checkpoints >= 8


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_rewrite_with_recomputed_hashes_is_detected(
    how: str,
    anchored: Factory,
    db_engine: Engine,
    anchor: AuditAnchor,
) -> None:
    _seed(anchored)
    change, first_bad = TAMPERING[how]
    _rewrite(db_engine, change)
    with transaction(make_session_factory(db_engine)) as s:
        assert audit.verify(s).ok, "the chain alone cannot see a rewrite with new hashes"
    with transaction(anchored) as s:
        report = audit.verify(s)
    assert not report.ok
    assert min(p.seq for p in report.problems) == first_bad, report.problems
    text_of = " ".join(p.problem for p in report.problems)
    assert ("signed checkpoint" in text_of) or ("anchored entries are missing" in text_of)


def test_rolled_back_entries_are_never_anchored(anchored: Factory, anchor: AuditAnchor) -> None:
    _seed(anchored)
    with pytest.raises(RuntimeError), transaction(anchored) as s:
        audit.record(s, Actor.system(), "thing.touch", object_type="thing", object_id=99)
        raise RuntimeError("abort")
    assert anchor.load().through == ENTRIES
    with transaction(anchored) as s:
        assert audit.verify(s).ok


def test_forged_or_foreign_checkpoints_are_reported(
    anchored: Factory, anchor: AuditAnchor, tmp_path: Path
) -> None:
    _seed(anchored)
    lines = anchor.path.read_text().splitlines()
    forged = json.loads(lines[-1])
    forged["entries"][0][1] = "0" * 64
    stranger = AuditAnchor(tmp_path / "other.key", tmp_path / "other.jsonl")
    foreign = stranger.checkpoint([(1, "1" * 64)])
    with anchor.path.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
        handle.write(json.dumps(foreign.to_dict()) + "\n")
        handle.write("not json\n")
    with transaction(anchored) as s:
        report = audit.verify(s)
    problems = [p.problem for p in report.problems]
    assert not report.ok
    assert sum("is not signed by the platform's audit key" in p for p in problems) == 2
    assert any("cannot be read" in p for p in problems)


def test_log_running_past_its_head_is_reported_and_writes_go_on(
    anchored: Factory,
    db_engine: Engine,
) -> None:
    """A row appended behind the head's back used to make every later write fail."""
    _seed(anchored)
    with db_engine.begin() as conn:
        last = _rows(conn)[-1]
        forged = {**last, "seq": ENTRIES + 1, "prev_hash": last["hash"]}
        del forged["hash"]
        forged["hash"] = entry_hash(**forged)
        conn.execute(
            text(
                f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES "
                f"({', '.join(':' + c for c in COLUMNS)})"
            ),
            forged,
        )
    with transaction(anchored) as s:
        report = audit.verify(s)
    assert not report.ok and report.head_seq == ENTRIES
    with transaction(anchored) as s:
        entry = audit.record(
            s, Actor.system(), "thing.touch", object_type="thing", object_id="after"
        )
    assert entry.seq == ENTRIES + 2
    with transaction(anchored) as s:
        report = audit.verify(s)
    assert [p.seq for p in report.problems] == [ENTRIES + 1], report.problems
    assert "in no signed checkpoint" in report.problems[0].problem


def test_an_existing_log_is_adopted_once_when_the_anchor_is_new(
    session_factory: Factory,
    db_engine: Engine,
    anchor: AuditAnchor,
) -> None:
    _seed(session_factory)  # written before any anchor existed
    factory = make_session_factory(db_engine)
    anchor_sessions(factory, anchor)
    anchor_existing_log(factory, anchor)
    anchor_existing_log(factory, anchor)  # a second start adopts nothing more
    with transaction(factory) as s:
        report = audit.verify(s)
        adopted = audit.list_entries(s, audit.AuditQuery(action="audit.anchor_adopted"))
    assert report.ok and report.anchored_through == ENTRIES + 1, report
    assert len(adopted) == 1 and adopted[0].detail["entries"] == ENTRIES


def test_export_gives_auditors_the_public_key_and_every_checkpoint(
    anchored: Factory,
    anchor: AuditAnchor,
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from sandbox.audit.anchor import _parse

    _seed(anchored)
    first, *rest = list(anchor.export())
    header = json.loads(first)
    public = load_pem_public_key(header["public_key"].encode())
    assert header["algorithm"] == "Ed25519" and header["key"] == anchor.key_id
    anchored_seqs = set()
    for line in rest:
        point = _parse(line)
        assert point is not None
        assert isinstance(public, Ed25519PublicKey)
        public.verify(base64.b64decode(point.signature), point.signed_payload())
        anchored_seqs |= {seq for seq, _ in point.entries}
    assert anchored_seqs == set(range(1, ENTRIES + 1))
