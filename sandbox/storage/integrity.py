"""Is a stored version file still the one that was registered? Checked before it is served.

The catalog records each version's size, row count and SHA-256
(:class:`~sandbox.store.models.DatasetVersionRow`). Hashing a 10-million-row file on every
read is too slow, so the checks come in two strengths:

- :func:`quick_check` (every read): the file exists, has the recorded size, its Parquet
  footer is readable and states the recorded row count. A stat and one footer read.
- :func:`full_check`: the above plus the whole file's SHA-256. Run before a read that vouches
  for the whole file (a download, a quality report) when the file is at most the configured
  ``full_check_max_bytes``, and by the provider's integrity check.

A flipped byte inside a data page passes the quick check, so versions are written with page
checksums (CRC-32, :data:`PAGE_CHECKSUMS`) and every page read verifies them
(:func:`open_parquet`): a page of rows is checked as it is read, before the response is
built. A download larger than the limit cannot be hashed before its first byte without
reading the file twice, so :func:`verified_chunks` hashes it while it streams and withholds
the last chunk unless the hash matches: the client then sees a cut transfer (its length
short of ``Content-Length``), never a complete corrupted file.

Damage is reported as a :class:`VersionDamage` value; what to tell whom is the caller's.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.storage.datastore import READ_CHUNK, DataStore
from sandbox.storage.encryption import read_properties

PAGE_CHECKSUMS = True
"""Stored versions carry a CRC-32 per page; reads verify it."""


class VersionProblem(enum.StrEnum):
    """The kinds of damage a version file can have."""

    MISSING = "missing"
    SIZE = "size"
    FOOTER = "footer"
    ROW_COUNT = "row_count"
    CONTENT = "content"


@dataclass(frozen=True)
class RecordedVersion:
    """What the catalog recorded of a version's file when it was stored."""

    path: str
    byte_size: int
    row_count: int
    sha256: str


@dataclass(frozen=True)
class VersionDamage:
    """What is wrong with a version file, in words safe to show (no path, no value)."""

    problem: VersionProblem
    detail: str


class DamagedFile(Exception):
    """Raised by the readers of this package when a version file turns out damaged while it
    is read; carries the :class:`VersionDamage`.
    """

    def __init__(self, damage: VersionDamage) -> None:
        super().__init__(damage.detail)
        self.damage = damage


def open_parquet(handle: pa.NativeFile) -> pq.ParquetFile:
    """A Parquet reader that verifies page checksums where the file has them, and decrypts
    an encrypted one (:mod:`sandbox.storage.encryption`).
    """
    return pq.ParquetFile(
        handle,
        page_checksum_verification=PAGE_CHECKSUMS,
        decryption_properties=read_properties(),
    )


def quick_check(store: DataStore, recorded: RecordedVersion) -> VersionDamage | None:
    """Existence, size, a readable footer and the row count: cheap enough for every read."""
    try:
        info = store.filesystem.get_file_info(recorded.path)
    except OSError as exc:
        return VersionDamage(VersionProblem.MISSING, f"its file cannot be reached ({_brief(exc)})")
    if info.type == pafs.FileType.NotFound:
        return VersionDamage(VersionProblem.MISSING, "its file is missing")
    size = int(info.size or 0)
    if size != recorded.byte_size:
        return VersionDamage(
            VersionProblem.SIZE,
            f"its file holds {size} bytes where {recorded.byte_size} were stored",
        )
    try:
        with store.filesystem.open_input_file(recorded.path) as handle:
            rows = open_parquet(handle).metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        return VersionDamage(
            VersionProblem.FOOTER, f"its Parquet footer cannot be read ({_brief(exc)})"
        )
    if rows != recorded.row_count:
        return VersionDamage(
            VersionProblem.ROW_COUNT,
            f"its file states {rows} rows where {recorded.row_count} were stored",
        )
    return None


def full_check(store: DataStore, recorded: RecordedVersion) -> VersionDamage | None:
    """The quick check, then the SHA-256 of the whole file against the recorded one."""
    damage = quick_check(store, recorded)
    if damage is not None:
        return damage
    try:
        digest = store.sha256(recorded.path)
    except OSError as exc:
        return VersionDamage(VersionProblem.CONTENT, f"its file cannot be read ({_brief(exc)})")
    if digest != recorded.sha256:
        return VersionDamage(
            VersionProblem.CONTENT,
            "its content no longer matches the SHA-256 recorded when it was stored",
        )
    return None


def verified_chunks(
    store: DataStore, recorded: RecordedVersion, chunk_size: int = READ_CHUNK
) -> Iterator[bytes]:
    """The file chunk by chunk, hashed on the way; the last chunk is yielded only once the
    hash matches, otherwise :class:`DamagedFile` is raised in its place.
    """
    digest = hashlib.sha256()
    held: bytes | None = None
    received = 0
    try:
        for chunk in store.iter_bytes(recorded.path, chunk_size):
            digest.update(chunk)
            received += len(chunk)
            if held is not None:
                yield held
            held = chunk
    except OSError as exc:
        raise DamagedFile(
            VersionDamage(VersionProblem.CONTENT, f"its file could not be read ({_brief(exc)})")
        ) from exc
    if received != recorded.byte_size or digest.hexdigest() != recorded.sha256:
        raise DamagedFile(
            VersionDamage(
                VersionProblem.CONTENT,
                "its content no longer matches the SHA-256 recorded when it was stored",
            )
        )
    if held is not None:
        yield held


def unreadable(exc: BaseException) -> DamagedFile:
    """The :class:`DamagedFile` for a reader's failure on a file that passed the quick check
    (a page whose checksum fails, a page header that no longer decodes).
    """
    return DamagedFile(
        VersionDamage(VersionProblem.CONTENT, f"a page of its file cannot be read ({_brief(exc)})")
    )


def _brief(exc: BaseException) -> str:
    """The reader's first line, without the paths pyarrow puts into its messages."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    words = [w for w in text.split() if "/" not in w]
    return " ".join(words)[:160]
