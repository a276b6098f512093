"""The storage side of damaged versions and full disks, on real files.

- the quick and full checks name each kind of damage;
- a streamed download withholds its last chunk unless the whole file hashes right, however
  many chunks it has;
- a page read of a file whose page fails its checksum is a :class:`DamagedFile`;
- an out-of-space error, and only that, becomes :class:`StorageFull`.
"""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sandbox.errors import StorageFull
from sandbox.storage.datastore import DataStore
from sandbox.storage.export import read_page
from sandbox.storage.integrity import (
    DamagedFile,
    RecordedVersion,
    VersionProblem,
    full_check,
    quick_check,
    verified_chunks,
)
from sandbox.storage.space import STAGING_AREA, storage_full_as
from tests.support.datafiles import people_table


def stored(tmp_path: Path, rows: int = 2000) -> tuple[DataStore, RecordedVersion]:
    store = DataStore.from_uri(str(tmp_path / "data"))
    path = store.new_version_path("people", 1)
    pq.write_table(
        people_table(rows), path, compression="zstd", write_page_checksum=True, data_page_size=1024
    )
    return store, RecordedVersion(path, store.size(path), rows, store.sha256(path))


def test_an_intact_file_passes_both_checks(tmp_path):
    store, recorded = stored(tmp_path)
    assert quick_check(store, recorded) is None
    assert full_check(store, recorded) is None


def test_each_kind_of_damage_is_named(tmp_path):
    store, recorded = stored(tmp_path)
    path = Path(recorded.path)
    original = path.read_bytes()

    path.write_bytes(original[:-10] + b"\x00" * 10)  # same size, footer gone
    damage = quick_check(store, recorded)
    assert damage is not None and damage.problem is VersionProblem.FOOTER

    flipped = bytearray(original)
    flipped[len(original) // 3] ^= 0xFF
    path.write_bytes(bytes(flipped))
    assert quick_check(store, recorded) is None, "a data byte is beyond the cheap check"
    damage = full_check(store, recorded)
    assert damage is not None and damage.problem is VersionProblem.CONTENT
    with pytest.raises(DamagedFile):
        read_page(store, recorded.path, 0, recorded.row_count)

    path.write_bytes(original[:100])
    damage = quick_check(store, recorded)
    assert damage is not None and damage.problem is VersionProblem.SIZE
    assert "100 bytes" in damage.detail

    path.unlink()
    damage = quick_check(store, recorded)
    assert damage is not None and damage.problem is VersionProblem.MISSING

    path.write_bytes(original)
    wrong_rows = RecordedVersion(recorded.path, recorded.byte_size, 7, recorded.sha256)
    damage = quick_check(store, wrong_rows)
    assert damage is not None and damage.problem is VersionProblem.ROW_COUNT


def test_a_streamed_file_is_complete_only_when_its_hash_matches(tmp_path):
    store, recorded = stored(tmp_path)
    whole = b"".join(verified_chunks(store, recorded, chunk_size=997))
    assert hashlib.sha256(whole).hexdigest() == recorded.sha256

    path = Path(recorded.path)
    data = bytearray(path.read_bytes())
    data[50] ^= 0x01
    path.write_bytes(bytes(data))
    sent: list[bytes] = []
    with pytest.raises(DamagedFile):
        for chunk in verified_chunks(store, recorded, chunk_size=997):
            sent.append(chunk)
    assert 0 < sum(map(len, sent)) < recorded.byte_size, "everything but the last chunk"


def test_only_out_of_space_is_storage_full():
    with pytest.raises(StorageFull, match="staging area"):
        with storage_full_as(STAGING_AREA, "receiving the upload"):
            raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(PermissionError):
        with storage_full_as(STAGING_AREA, "receiving the upload"):
            raise PermissionError(errno.EACCES, "Permission denied")
