"""Archiving old audit entries into a file that still verifies, and pruning them after.

Retention: the Chengdu rules keep exchange logs five years (Chengdu art. 23, REQUIREMENTS.md:
"Exchange logs are kept 5 years"), so ``audit_retention_days`` (default 5 years and a leap
day) is how long entries stay in the live chain. Older ones may be moved out:

1. :func:`archive` writes the oldest live entries dated before a moment into a JSON-lines
   file: a header (range, the back-link of the first entry, the hash of the last, the
   platform's public key), every entry as the chain holds it, and every signed checkpoint
   that anchors one of them. The file verifies on its own (hashes, back-links, signatures)
   and against the live chain (:func:`verify_archive`). Writing it is audited.
2. :func:`prune` deletes the archived entries from the database, only after the archive
   verifies against the live chain and only when every one is older than the retention
   period; it appends an ``audit.pruned`` entry naming the range, the last hash and the
   archive's SHA-256. :func:`sandbox.audit.chain.verify` then starts the live chain at that
   prune record's back-link, so what remains verifies too, and a front of the log deleted
   without a prune record (or behind one that names another range) is reported.

An archive is never deleted by the platform; keep it on retention-locked storage.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sandbox.audit.anchor import AuditAnchor, _parse
from sandbox.audit.chain import GENESIS_HASH, PRUNED_ACTION, entry_hash, record
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest
from sandbox.identity.model import Actor
from sandbox.store.models import AuditEntryRow

__all__ = [
    "ARCHIVE_FORMAT",
    "ArchiveCheck",
    "ArchiveReport",
    "ArchiveWritten",
    "archive",
    "prune",
    "verify_archive",
    "verify_archives",
]

ARCHIVE_FORMAT = "sandbox-audit-archive"


@dataclass(frozen=True)
class ArchiveWritten:
    """What :func:`archive` wrote."""

    path: Path
    from_seq: int
    through_seq: int
    entries: int
    sha256: str


@dataclass
class ArchiveCheck:
    """The outcome of :func:`verify_archive`."""

    from_seq: int = 0
    through_seq: int = 0
    entries: int = 0
    pruned: bool = False
    """Whether the live chain no longer holds these entries (a prune record names them)."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the archive holds, alone and against the live chain."""
        return not self.problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive(
    session: Session, actor: Actor, anchor: AuditAnchor, *, before: datetime, out_dir: Path
) -> ArchiveWritten:
    """Write the oldest live entries dated before ``before`` to a new file in ``out_dir``.

    Raises:
        InvalidRequest: No live entry is older than ``before``.
    """
    # Entries' times are stored as UTC ISO text, compared as text: the cutoff is put the same way.
    cutoff = before.astimezone(UTC).isoformat(timespec="microseconds")
    rows = list(
        session.execute(
            select(AuditEntryRow).where(AuditEntryRow.at < cutoff).order_by(AuditEntryRow.seq)
        ).scalars()
    )
    first_live = session.execute(select(func.min(AuditEntryRow.seq))).scalar_one_or_none()
    # Only the contiguous oldest stretch: an archive always takes the front of the chain.
    prefix: list[AuditEntryRow] = []
    for row in rows:
        if row.seq != (prefix[-1].seq + 1 if prefix else first_live):
            break
        prefix.append(row)
    if not prefix:
        raise InvalidRequest(f"no audit entry in the live chain is older than {cutoff}")
    from_seq, through_seq = prefix[0].seq, prefix[-1].seq
    wanted = {row.seq for row in prefix}
    checkpoints = [
        line
        for line in anchor.lines()
        if (point := _parse(line)) is not None and any(seq in wanted for seq, _ in point.entries)
    ]
    header = {
        "format": ARCHIVE_FORMAT,
        "v": 1,
        "from_seq": from_seq,
        "through_seq": through_seq,
        "prev_hash": prefix[0].prev_hash,
        "last_hash": prefix[-1].hash,
        "before": cutoff,
        "created_at": utc_now().isoformat(timespec="microseconds"),
        "key": anchor.key_id,
        "public_key": anchor.public_key_pem(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"audit-{from_seq:012d}-{through_seq:012d}.jsonl"
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8") as sink:
        sink.write(json.dumps({"header": header}, ensure_ascii=False) + "\n")
        for row in prefix:
            sink.write(json.dumps({"entry": _row_dict(row)}, ensure_ascii=False) + "\n")
        for line in checkpoints:
            sink.write(json.dumps({"checkpoint": json.loads(line)}) + "\n")
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(partial, path)
    digest = _sha256(path)
    record(
        session,
        actor,
        "audit.archived",
        object_type="audit",
        object_id=f"{from_seq}-{through_seq}",
        detail={"file": path.name, "sha256": digest, "last_hash": prefix[-1].hash},
    )
    return ArchiveWritten(path, from_seq, through_seq, len(prefix), digest)


def _row_dict(row: AuditEntryRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor_id": row.actor_id,
        "actor": row.actor,
        "role": row.role,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "outcome": row.outcome,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _read(
    path: Path, check: ArchiveCheck
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    header: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    points: list[Any] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"the archive {path} cannot be read: {exc}") from None
    for number, line in enumerate(lines, start=1):
        try:
            item = json.loads(line)
        except ValueError:
            check.problems.append(f"line {number} is not JSON")
            continue
        if number == 1:
            header = item.get("header", {}) if isinstance(item, dict) else {}
        elif isinstance(item, dict) and isinstance(item.get("entry"), dict):
            entries.append(item["entry"])
        elif isinstance(item, dict) and "checkpoint" in item:
            point = _parse(json.dumps(item["checkpoint"]))
            if point is None:
                check.problems.append(f"line {number}: a checkpoint that cannot be read")
            else:
                points.append(point)
        else:
            check.problems.append(f"line {number} is neither an entry nor a checkpoint")
    if header.get("format") != ARCHIVE_FORMAT:
        raise InvalidRequest(f"{path} is not an audit archive (no {ARCHIVE_FORMAT} header)")
    return header, entries, points


def verify_archive(session: Session, anchor: AuditAnchor, path: Path) -> ArchiveCheck:
    """Check an archive alone (hashes, back-links, signed checkpoints) and against the live
    chain: its entries still there must be identical, and entries pruned must be named by a
    prune record with this file's SHA-256 and last hash. Never raises on a damaged archive.

    Raises:
        InvalidRequest: The file is not an audit archive at all.
    """
    check = ArchiveCheck()
    header, entries, points = _read(path, check)
    check.from_seq, check.through_seq = int(header["from_seq"]), int(header["through_seq"])
    check.entries = len(entries)
    anchored: dict[int, str] = {}
    for point in points:
        if point.key_id != anchor.key_id or not anchor._signed(point):
            check.problems.append(f"a checkpoint of {point.at} is not signed by the audit key")
            continue
        anchored.update(dict(point.entries))
    live_anchor = anchor.load().hashes
    prev, expected = str(header["prev_hash"]), check.from_seq
    for entry in entries:
        seq = int(entry["seq"])
        fields = {k: entry[k] for k in entry if k != "hash"}
        if seq != expected:
            check.problems.append(f"entry {seq}: expected entry {expected} here")
        if entry["prev_hash"] != prev:
            check.problems.append(f"entry {seq}: back-link does not match the previous entry")
        if entry_hash(**fields) != entry["hash"]:
            check.problems.append(f"entry {seq}: content does not match its hash (edited)")
        for source, hashes in (("archive's", anchored), ("platform's", live_anchor)):
            if seq in hashes and hashes[seq] != entry["hash"]:
                check.problems.append(f"entry {seq}: differs from the {source} signed checkpoint")
        prev, expected = entry["hash"], seq + 1
    if expected - 1 != check.through_seq or prev != header["last_hash"]:
        check.problems.append("the entries do not end at the header's last entry and hash")
    if check.from_seq == 1 and header["prev_hash"] != GENESIS_HASH:
        check.problems.append("the first entry of the log does not link to the genesis")
    _against_live(session, path, header, entries, check)
    return check


def _against_live(
    session: Session,
    path: Path,
    header: dict[str, Any],
    entries: list[dict[str, Any]],
    check: ArchiveCheck,
) -> None:
    live = {
        row.seq: row.hash
        for row in session.execute(
            select(AuditEntryRow).where(
                AuditEntryRow.seq.between(check.from_seq, check.through_seq)
            )
        ).scalars()
    }
    for entry in entries:
        seq = int(entry["seq"])
        if seq in live and live[seq] != entry["hash"]:
            check.problems.append(f"entry {seq}: differs from the live chain's entry")
    if live:
        return
    check.pruned = True
    pruned = _prune_records(session)
    named = [d for d in pruned if d.get("through_seq") == check.through_seq]
    if not named:
        check.problems.append(
            f"entries {check.from_seq}-{check.through_seq} are gone from the live chain "
            "and no prune record names them"
        )
        return
    if named[-1].get("sha256") != _sha256(path):
        check.problems.append("the file is not the archive its prune record names (SHA-256)")
    if named[-1].get("last_hash") != header["last_hash"]:
        check.problems.append("the prune record names another last hash")


def _prune_records(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditEntryRow.detail)
        .where(AuditEntryRow.action == PRUNED_ACTION)
        .order_by(AuditEntryRow.seq)
    ).scalars()
    return [json.loads(detail) for detail in rows]


def prune(
    session: Session,
    actor: Actor,
    anchor: AuditAnchor,
    path: Path,
    *,
    retention_days: int,
    now: datetime | None = None,
) -> ArchiveCheck:
    """Delete the entries of a verified archive from the live chain (see the module docstring).

    Raises:
        Conflict: The archive does not verify, was pruned already, does not start at the
            live chain's first entry, or holds an entry inside the retention period.
    """
    check = verify_archive(session, anchor, path)
    if check.pruned:
        raise Conflict(f"the entries of {path.name} were pruned already")
    if not check.ok:
        raise Conflict(
            f"{path.name} does not verify, nothing was pruned: " + "; ".join(check.problems[:3])
        )
    moment = now or utc_now()
    keep_from = (moment.astimezone(UTC) - timedelta(days=retention_days)).isoformat(
        timespec="microseconds"
    )
    newest = session.execute(
        select(func.max(AuditEntryRow.at)).where(
            AuditEntryRow.seq.between(check.from_seq, check.through_seq)
        )
    ).scalar_one()
    if newest is None or newest >= keep_from:
        raise Conflict(
            f"entries of {path.name} are inside the retention period of {retention_days} days "
            f"(audit_retention_days; Chengdu art. 23 keeps exchange logs 5 years): "
            f"only entries before {keep_from} may be pruned; nothing was pruned"
        )
    first_live = session.execute(select(func.min(AuditEntryRow.seq))).scalar_one()
    if first_live != check.from_seq:
        raise Conflict(f"{path.name} does not start at the live chain's first entry {first_live}")
    last_hash = session.execute(
        select(AuditEntryRow.hash).where(AuditEntryRow.seq == check.through_seq)
    ).scalar_one()
    session.execute(
        delete(AuditEntryRow).where(AuditEntryRow.seq.between(check.from_seq, check.through_seq))
    )
    record(
        session,
        actor,
        PRUNED_ACTION,
        object_type="audit",
        object_id=f"{check.from_seq}-{check.through_seq}",
        detail={
            "from_seq": check.from_seq,
            "through_seq": check.through_seq,
            "last_hash": last_hash,
            "sha256": _sha256(path),
            "file": path.name,
        },
    )
    return check


@dataclass(frozen=True)
class ArchiveReport:
    """One archive file of the archive directory and how it verified."""

    file: str
    check: ArchiveCheck


def verify_archives(
    session: Session, actor: Actor, anchor: AuditAnchor, directory: Path
) -> list[ArchiveReport]:
    """Verify every archive in ``directory`` against the live chain, oldest first, and record
    the verification with its verdict (an audited read, as the chain's own verification).
    """
    reports: list[ArchiveReport] = []
    for path in sorted(directory.glob("audit-*.jsonl")) if directory.is_dir() else []:
        try:
            check = verify_archive(session, anchor, path)
        except InvalidRequest as exc:
            check = ArchiveCheck(problems=[exc.message])
        reports.append(ArchiveReport(path.name, check))
    record(
        session,
        actor,
        "audit.archives.verify",
        object_type="audit",
        object_id="archives",
        outcome="ok" if all(r.check.ok for r in reports) else "broken",
        detail={"archives": len(reports), "broken": [r.file for r in reports if not r.check.ok]},
    )
    return reports
