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
LOOKUP_BYTES = 8
FINGERPRINT_BYTES = 16
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


class KeyedHash:
    """The keyed hash of one label: the key and the packed label are fed once, and each
    value's hash continues from a copy of that state (the same bytes as hashing
    ``_packed([label, *parts])`` whole, at a fraction of the cost per row).
    """

    def __init__(self, key: bytes, label: str, digest_size: int) -> None:
        self._base = hashlib.blake2b(key=key, digest_size=digest_size)
        self._base.update(_packed([label]))

    def digest(self, parts: Sequence[str]) -> bytes:
        """The hash of ``parts`` under this label."""
        state = self._base.copy()
        for part in parts:
            data = part.encode("utf-8")
            state.update(len(data).to_bytes(4, "big"))
            state.update(data)
        return state.digest()

    def number(self, parts: Sequence[str]) -> int:
        """The hash as an unsigned integer (64 bits for the index)."""
        return int.from_bytes(self.digest(parts), "big")


def lookup_hash(key: bytes, label: str, parts: Sequence[str]) -> int:
    """A 64-bit keyed hash of ``parts`` under ``label`` (the index's entries and probes).

    64 bits keep a ten-million-row index at 80 MB; two different values share a hash with a
    chance of about one in 2**64 per comparison, far below any data entry error.
    """
    return KeyedHash(key, label, LOOKUP_BYTES).number(parts)


def fingerprint(key: bytes, label: str, parts: Sequence[str]) -> str:
    """A 128-bit keyed hash in hex: the per-record quota's name for a record."""
    return KeyedHash(key, label, FINGERPRINT_BYTES).digest(parts).hex()
