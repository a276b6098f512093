"""Read stored versions back out, in bounded memory: whole-file streams and row pages.

Every page read verifies its checksum (:func:`sandbox.storage.integrity.open_parquet`); a
failure is raised as :class:`~sandbox.storage.integrity.DamagedFile`, never as the reader's
own error, so the caller can tell a damaged version from a bug.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pacsv

from sandbox.storage.datastore import DataStore
from sandbox.storage.integrity import RecordedVersion, open_parquet, unreadable, verified_chunks

CSV_BATCH_ROWS = 50_000


def iter_parquet_bytes(store: DataStore, recorded: RecordedVersion) -> Iterator[bytes]:
    """The stored Parquet file itself, chunk by chunk, its last chunk withheld unless the
    whole file hashes to the recorded SHA-256.
    """
    yield from verified_chunks(store, recorded)


def iter_csv_bytes(store: DataStore, path: str) -> Iterator[bytes]:
    """The version as CSV with a header, converted one batch at a time."""
    try:
        with store.filesystem.open_input_file(path) as handle:
            parquet = open_parquet(handle)
            header = True
            for batch in parquet.iter_batches(batch_size=CSV_BATCH_ROWS):
                buffer = io.BytesIO()
                pacsv.write_csv(
                    batch, buffer, write_options=pacsv.WriteOptions(include_header=header)
                )
                header = False
                yield buffer.getvalue()
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc


def read_page(store: DataStore, path: str, offset: int, limit: int) -> pa.Table:
    """Rows ``offset`` to ``offset + limit`` read from only the row groups that hold them."""
    try:
        with store.filesystem.open_input_file(path) as handle:
            parquet = open_parquet(handle)
            metadata = parquet.metadata
            groups: list[int] = []
            start_of_first = 0
            position = 0
            for index in range(metadata.num_row_groups):
                size = metadata.row_group(index).num_rows
                if position + size > offset and position < offset + limit:
                    if not groups:
                        start_of_first = position
                    groups.append(index)
                position += size
            if not groups:
                return parquet.schema_arrow.empty_table()
            table = parquet.read_row_groups(groups)
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
    return table.slice(offset - start_of_first, limit)
