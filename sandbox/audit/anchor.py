"""Signed checkpoints of the audit chain, kept where the database administrator cannot write.

The hash chain alone proves nothing against someone who can write the database: they can
edit an entry and recompute every later hash and the head. So every transaction that
appends entries also appends, after it commits, one *checkpoint* to a separate append-only
file: the sequence numbers and hashes of the entries it wrote, signed with an Ed25519 key
the database never holds. :func:`sandbox.audit.chain.verify` then holds the database
against the checkpoints and names the first entry that differs from its anchored hash, an
anchored entry that is gone, or an entry that was never anchored among anchored ones.

A checkpoint carries hashes only, never an entry's content, so the file can be handed to
auditors with the public key (:meth:`AuditAnchor.export`) and checked without the secret.

Where things live (:class:`sandbox.config.Settings`): the private key in
``audit_key_path`` (created, mode 0600, when missing; in production a secret mounted from
the secret store), the checkpoints in ``audit_anchor_path`` (in production a volume the
database host cannot write, append-only with ``chattr +a`` or a retention-locked store).
A line is written with one ``O_APPEND`` write, so concurrent API processes never
interleave lines; a process crash after a commit and before its write leaves those entries
unanchored, which :func:`verify` reports as such rather than as tampering.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sandbox.clock import utc_now
from sandbox.errors import SandboxInternalError

__all__ = ["AnchoredRecord", "AuditAnchor", "Checkpoint"]

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """One signed line: the entries one transaction appended."""

    at: str
    key_id: str
    entries: tuple[tuple[int, str], ...]
    signature: str

    def signed_payload(self) -> bytes:
        """The canonical bytes the signature covers."""
        return _payload(self.at, self.key_id, self.entries)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line as written."""
        return {
            "v": FORMAT_VERSION,
            "at": self.at,
            "key": self.key_id,
            "entries": [list(pair) for pair in self.entries],
            "sig": self.signature,
        }


@dataclass
class AnchoredRecord:
    """What the checkpoint file says, after every signature was checked."""

    hashes: dict[int, str] = field(default_factory=dict)
    """Anchored hash of each entry, by sequence number."""
    problems: list[str] = field(default_factory=list)
    """Lines that could not be read or whose signature does not verify."""
    checkpoints: int = 0

    @property
    def through(self) -> int:
        """The highest anchored sequence number (0: nothing anchored yet)."""
        return max(self.hashes, default=0)


def _payload(at: str, key_id: str, entries: Iterable[tuple[int, str]]) -> bytes:
    body = {
        "v": FORMAT_VERSION,
        "at": at,
        "key": key_id,
        "entries": [[seq, digest] for seq, digest in entries],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at ``path``; a new one (mode 0600) when the file does not exist."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise SandboxInternalError(f"the audit signing key {path} cannot be read") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise SandboxInternalError(f"the audit signing key {path} is not an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Written whole under a private name, then linked into place (atomic, and refused if
    # the name exists): a server starting beside this one never reads a half-written key.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(partial, path)
    except FileExistsError:
        return _load_or_create_key(path)  # another process created it meanwhile
    finally:
        partial.unlink()
    return key


class AuditAnchor:
    """Signs checkpoints into, and reads them back from, one append-only file."""

    def __init__(self, key_path: Path, checkpoint_path: Path) -> None:
        self._key = _load_or_create_key(key_path)
        self._public = self._key.public_key()
        self.key_id = _key_id(self._public)
        self.path = checkpoint_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def public_key_pem(self) -> str:
        """The verification key auditors check checkpoints with."""
        return self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def checkpoint(self, entries: Iterable[tuple[int, str]]) -> Checkpoint:
        """Sign and append one checkpoint of ``entries`` (sequence number, hash)."""
        pairs = tuple(sorted((int(seq), str(digest)) for seq, digest in entries))
        at = utc_now().isoformat(timespec="microseconds")
        signature = self._key.sign(_payload(at, self.key_id, pairs))
        point = Checkpoint(
            at=at,
            key_id=self.key_id,
            entries=pairs,
            signature=base64.b64encode(signature).decode("ascii"),
        )
        line = (json.dumps(point.to_dict(), separators=(",", ":")) + "\n").encode("ascii")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        return point

    def lines(self) -> Iterator[str]:
        """The checkpoint file's lines as stored (for the export)."""
        if not self.path.exists():
            return
        with self.path.open("r", encoding="ascii", errors="replace") as handle:
            yield from (line.rstrip("\n") for line in handle if line.strip())

    def load(self) -> AnchoredRecord:
        """Every checkpoint, each signature checked; a bad line is a problem, not a crash."""
        record = AnchoredRecord()
        for number, line in enumerate(self.lines(), start=1):
            point = _parse(line)
            if point is None:
                record.problems.append(f"checkpoint line {number} cannot be read")
                continue
            if point.key_id != self.key_id or not self._signed(point):
                record.problems.append(
                    f"checkpoint line {number} is not signed by the "
                    f"platform's audit key {self.key_id}"
                )
                continue
            record.checkpoints += 1
            for seq, digest in point.entries:
                known = record.hashes.setdefault(seq, digest)
                if known != digest:
                    record.problems.append(
                        f"checkpoint line {number} anchors entry {seq} "
                        "with a second, different hash"
                    )
        return record

    def _signed(self, point: Checkpoint) -> bool:
        try:
            self._public.verify(base64.b64decode(point.signature), point.signed_payload())
        except (InvalidSignature, ValueError):
            return False
        return True

    def export(self) -> Iterator[str]:
        """What an auditor needs, as JSON lines: the public key first, then every checkpoint."""
        yield json.dumps(
            {"key": self.key_id, "algorithm": "Ed25519", "public_key": self.public_key_pem()}
        )
        yield from self.lines()


def _parse(line: str) -> Checkpoint | None:
    try:
        data = json.loads(line)
        if data.get("v") != FORMAT_VERSION:
            return None
        entries = tuple((int(seq), str(digest)) for seq, digest in data["entries"])
        return Checkpoint(
            at=str(data["at"]), key_id=str(data["key"]), entries=entries, signature=str(data["sig"])
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
