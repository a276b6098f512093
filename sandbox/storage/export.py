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
import pyarrow.parquet as pq

from sandbox.storage.datastore import DataStore
from sandbox.storage.integrity import RecordedVersion, open_parquet, unreadable, verified_chunks

CSV_BATCH_ROWS = 50_000


def iter_parquet_bytes(store: DataStore, recorded: RecordedVersion) -> Iterator[bytes]:
    """The stored Parquet file itself, chunk by chunk, its last chunk withheld unless the
    whole file hashes to the recorded SHA-256.
    """
    yield from verified_chunks(store, recorded)


ENCRYPTED_MAGIC = b"PARE"
"""The last bytes of a Parquet file whose footer is encrypted."""


def is_encrypted(store: DataStore, path: str) -> bool:
    """Whether the stored file is Parquet-encrypted (:mod:`sandbox.storage.encryption`)."""
    try:
        with store.filesystem.open_input_file(path) as handle:
            size = handle.size()
            if size < len(ENCRYPTED_MAGIC):
                return False
            handle.seek(size - len(ENCRYPTED_MAGIC))
            return bytes(handle.read(len(ENCRYPTED_MAGIC))) == ENCRYPTED_MAGIC
    except OSError as exc:
        raise unreadable(exc) from exc


class _CountingSink:
    """A write-only file for :class:`pyarrow.parquet.ParquetWriter` whose bytes are taken
    away as they come (its position keeps counting, so the footer's offsets stay right).
    """

    def __init__(self) -> None:
        self.closed = False
        self._chunks: list[bytes] = []
        self._position = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def iter_decrypted_parquet_bytes(store: DataStore, path: str) -> Iterator[bytes]:
    """An encrypted version re-encoded as plain Parquet, one batch at a time: the download
    of a version stored encrypted (its dataset was conditional then). Each page is
    authenticated (AES-GCM) and checksummed as it is read, so damage still stops it.
    """
    sink = _CountingSink()
    try:
        with store.filesystem.open_input_file(path) as handle:
            parquet = open_parquet(handle)
            with pq.ParquetWriter(
                pa.PythonFile(sink, mode="w"), parquet.schema_arrow, compression="zstd"
            ) as writer:
                for batch in parquet.iter_batches(batch_size=CSV_BATCH_ROWS):
                    writer.write_batch(batch)
                    if chunk := sink.drain():
                        yield chunk
        yield sink.drain()
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc


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


def table_csv(table: pa.Table) -> bytes:
    """A (page-sized) table as CSV with a header row."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def table_arrow_stream(table: pa.Table) -> bytes:
    """A (page-sized) table as an Arrow IPC stream (schema, then its batches)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
