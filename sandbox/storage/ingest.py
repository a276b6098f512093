"""Turn a source file into an immutable Parquet version, or leave no trace.

The source is read batch by batch, conformed to the data dictionary, written to a fresh
path under the data root, and profiled for the quality report on the way. Any failure
deletes the partly written file before the error propagates, so a refused upload leaves
storage exactly as it was; a full disk is a :class:`~sandbox.errors.StorageFull` naming it
(:mod:`sandbox.storage.space`). Pages carry checksums that every later read verifies
(:mod:`sandbox.storage.integrity`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow.parquet as pq

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import SourceFormat
from sandbox.errors import InvalidUpload
from sandbox.storage.datastore import DataStore
from sandbox.storage.encryption import write_properties
from sandbox.storage.integrity import PAGE_CHECKSUMS
from sandbox.storage.quality import QualityAccumulator
from sandbox.storage.readers import SourceFile, detect_format, read_batches
from sandbox.storage.space import DATA_STORE, TEMPORARY_SPACE, storage_full_as

ROW_GROUP_ROWS = 131_072
"""Row-group size of stored versions: the unit the query engine later reads in parallel."""


@dataclass(frozen=True)
class IngestResult:
    """What was stored for a new version."""

    path: str
    source_format: SourceFormat
    row_count: int
    byte_size: int
    sha256: str
    quality: dict[str, Any]


def ingest(
    source: SourceFile,
    declared_format: SourceFormat | None,
    dictionary: DataDictionary,
    store: DataStore,
    dest_path: str,
    *,
    encrypt: bool = False,
) -> IngestResult:
    """Read ``source``, validate it against ``dictionary`` and store it at ``dest_path``
    (encrypted when ``encrypt`` and the data root has a scheme installed:
    :mod:`sandbox.storage.encryption`).
    """
    fmt = detect_format(source, declared_format)
    quality = QualityAccumulator(dictionary)
    try:
        with (
            storage_full_as(DATA_STORE, "storing the new version"),
            pq.ParquetWriter(
                dest_path,
                dictionary.arrow_schema(),
                filesystem=store.filesystem,
                compression="zstd",
                write_page_checksum=PAGE_CHECKSUMS,
                encryption_properties=write_properties(dest_path) if encrypt else None,
            ) as writer,
        ):
            for batch in read_batches(source, fmt, dictionary):
                if batch.num_rows == 0:
                    continue
                writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)
                with storage_full_as(TEMPORARY_SPACE, "profiling the new version"):
                    quality.add(batch)
        if quality.rows == 0:
            raise InvalidUpload(f"{source.label} has no data rows")
        report = quality.finish(store, dest_path)
        return IngestResult(
            path=dest_path,
            source_format=fmt,
            row_count=quality.rows,
            byte_size=store.size(dest_path),
            sha256=store.sha256(dest_path),
            quality=report,
        )
    except BaseException:
        quality.discard()
        store.delete(dest_path)
        raise
