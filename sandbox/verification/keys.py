"""The verification services' secret key and the keyed hashes made with it.

Identifiers are low in entropy: a plain hash of a licence number is reversed by hashing
every licence number. So every hash a verification keeps or compares is keyed with a secret
the database never holds (``SANDBOX_VERIFICATION_KEY_PATH``, created on first use with mode
0600): the per-version index of a dataset's values, and the fingerprints the per-record
quota counts by. Whoever reads the metadata store learns neither what was asked nor what
the dataset holds.

Each hash is labelled by its purpose and service, so the hashes of one service or purpose
are never comparable with another's.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

KEY_BYTES = 32
_lock = threading.Lock()
_loaded: dict[Path, bytes] = {}


def load_key(path: Path) -> bytes:
    """The key in ``path``, created (mode 0600) if missing; read once per process."""
    with _lock:
        if path in _loaded:
            return _loaded[path]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first
                pass
            else:
                with os.fdopen(descriptor, "w") as out:
                    out.write(os.urandom(KEY_BYTES).hex())
        key = bytes.fromhex(path.read_text().strip())
        if len(key) != KEY_BYTES:
            raise ValueError(f"the verification key file must hold {KEY_BYTES} bytes in hex")
        _loaded[path] = key
        return key


def _packed(parts: Sequence[str]) -> bytes:
    """Parts joined unambiguously (each length-prefixed), so no two tuples pack alike."""
    chunks = []
    for part in parts:
        data = part.encode("utf-8")
        chunks.append(len(data).to_bytes(4, "big") + data)
    return b"".join(chunks)


def lookup_hash(key: bytes, label: str, parts: Sequence[str]) -> int:
    """A 64-bit keyed hash of ``parts`` under ``label`` (the index's entries and probes).

    64 bits keep a ten-million-row index at 80 MB; two different values share a hash with a
    chance of about one in 2**64 per comparison, far below any data entry error.
    """
    digest = hashlib.blake2b(_packed([label, *parts]), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big")


def fingerprint(key: bytes, label: str, parts: Sequence[str]) -> str:
    """A 128-bit keyed hash in hex: the per-record quota's name for a record."""
    return hashlib.blake2b(_packed([label, *parts]), key=key, digest_size=16).hexdigest()
