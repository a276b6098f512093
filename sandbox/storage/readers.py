"""Read Parquet, CSV or Arrow IPC files as a stream of record batches in the dictionary's
schema, turning every reader failure into an :class:`InvalidUpload` that names the problem.

Error messages say which column and row are wrong but never echo a cell's value: the text
may end up in logs and the audit trail, where raw values must not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.model import SourceFormat
from sandbox.errors import InvalidUpload

BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 4 * 1024 * 1024
ARROW_STREAM_MAGIC = b"\xff\xff\xff\xff"


@dataclass(frozen=True)
class SourceFile:
    """A data file to ingest: a staged upload or a server-side bulk-load path."""

    filesystem: pafs.FileSystem
    path: str
    label: str
    """How to name the file in error messages (never a server path for uploads)."""


def detect_format(source: SourceFile, declared: SourceFormat | None) -> SourceFormat:
    """The file's format from its magic bytes, checked against what the caller declared."""
    info = source.filesystem.get_file_info(source.path)
    if info.type == pafs.FileType.NotFound:
        raise InvalidUpload(f"{source.label} does not exist")
    if not info.size:
        raise InvalidUpload(f"{source.label} is empty")
    with source.filesystem.open_input_stream(source.path) as stream:
        head = bytes(stream.read(8))
    sniffed = SourceFormat.CSV
    if head.startswith(b"PAR1"):
        sniffed = SourceFormat.PARQUET
    elif head.startswith(b"ARROW1") or head.startswith(ARROW_STREAM_MAGIC):
        sniffed = SourceFormat.ARROW
    if declared is not None and declared is not sniffed:
        raise InvalidUpload(
            f"{source.label} was declared as {declared} but its content is not {declared}"
            + (f" (it looks like {sniffed})" if sniffed is not SourceFormat.CSV else "")
        )
    return sniffed


def read_batches(
    source: SourceFile, fmt: SourceFormat, dictionary: DataDictionary
) -> Iterator[pa.RecordBatch]:
    """Yield the file's rows as batches of ``dictionary.arrow_schema()``, bounded in size."""
    target = dictionary.arrow_schema()
    if fmt is SourceFormat.PARQUET:
        batches, schema = _parquet(source)
    elif fmt is SourceFormat.ARROW:
        batches, schema = _arrow(source)
    else:
        batches, schema = _csv(source, dictionary)
    _check_columns(schema, dictionary, source.label)
    for batch in _guard(batches, source.label, fmt, schema.names):
        yield _conform(batch, target, source.label)


def _parquet(source: SourceFile) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
    try:
        handle = source.filesystem.open_input_file(source.path)
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidUpload(
            f"{source.label} is not a readable Parquet file: {_clean(exc)}"
        ) from exc
    return parquet.iter_batches(batch_size=BATCH_ROWS), parquet.schema_arrow


def _arrow(source: SourceFile) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
    try:
        handle = source.filesystem.open_input_file(source.path)
        try:
            reader = ipc.open_file(handle)
            return (reader.get_batch(i) for i in range(reader.num_record_batches)), reader.schema
        except pa.ArrowInvalid:
            handle.seek(0)
            stream = ipc.open_stream(handle)
            return iter(stream), stream.schema
    except (pa.ArrowException, OSError) as exc:
        raise InvalidUpload(
            f"{source.label} is not a readable Arrow IPC file: {_clean(exc)}"
        ) from exc


def _csv(
    source: SourceFile, dictionary: DataDictionary
) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
    # Every declared column is read as text and cast by _conform, whose errors name the
    # column; an empty cell is a null.
    column_types = {c.name: pa.string() for c in dictionary.columns}
    try:
        stream = source.filesystem.open_input_stream(source.path)
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise InvalidUpload(f"{source.label} is not a readable CSV file: {_clean(exc)}") from exc
    return iter(reader), reader.schema


def _check_columns(schema: pa.Schema, dictionary: DataDictionary, label: str) -> None:
    present = list(schema.names)
    declared = [c.name for c in dictionary.columns]
    repeated = sorted({n for n in present if present.count(n) > 1})
    if repeated:
        raise InvalidUpload(f"{label} has repeated column name(s) {repeated}")
    missing = [n for n in declared if n not in present]
    extra = [n for n in present if n not in dictionary.by_name]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks declared column(s) {missing}")
        if extra:
            parts.append(f"has column(s) {extra} that the data dictionary does not declare")
        raise InvalidUpload(
            f"{label} does not match the data dictionary: it " + " and ".join(parts)
        )


def _guard(
    batches: Iterator[pa.RecordBatch], label: str, fmt: SourceFormat, names: list[str]
) -> Iterator[pa.RecordBatch]:
    try:
        yield from batches
    except (pa.ArrowException, OSError) as exc:
        raise InvalidUpload(f"{label} could not be read as {fmt}: {_clean(exc, names)}") from exc


def _conform(batch: pa.RecordBatch, target: pa.Schema, label: str) -> pa.RecordBatch:
    arrays = []
    for field in target:
        column = batch.column(field.name)
        if column.type != field.type:
            try:
                column = column.cast(field.type, safe=True)
            except (pa.ArrowException, ValueError) as exc:
                raise InvalidUpload(
                    f"{label}: column {field.name!r} holds {column.type} values that cannot be "
                    f"read as the declared type {field.type}"
                ) from exc
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=target)


_VALUE_PATTERNS = (
    re.compile(r"(invalid value|got) '.*?'", re.DOTALL),
    re.compile(r"(Expected \d+ columns, got \d+):.*", re.DOTALL),
)


_CSV_COLUMN = re.compile(r"In CSV column #(\d+)")


def _clean(exc: BaseException, names: list[str] | None = None) -> str:
    """The reader's message with any echoed cell or row content cut out, and CSV column
    numbers replaced by the column's name.
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if names:
        text = _CSV_COLUMN.sub(
            lambda m: (
                f"in column {names[int(m.group(1))]!r}"
                if int(m.group(1)) < len(names)
                else m.group(0)
            ),
            text,
        )
    text = _VALUE_PATTERNS[1].sub(r"\1", text)
    text = _VALUE_PATTERNS[0].sub(r"\1 (value withheld)", text)
    return text[:300]
