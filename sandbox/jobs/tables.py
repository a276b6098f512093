"""The raw tables of a raw-access job, written where only its hardened sandbox reads them.

For each dataset of the job the version it was submitted against is copied, as an Arrow IPC
file, into the job's private inputs directory, which the backend exposes read-only at
``/inputs`` inside the sandbox. Nothing of it crosses back except through the job's result,
log and errors, which are held for the output checks and review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.catalog.queries import dataset_row, version_row
from sandbox.platform import Platform
from sandbox.runtime.backends.base import INPUTS_MOUNT
from sandbox.storage.encryption import read_properties

__all__ = ["SANDBOX_INPUTS", "write_inputs", "write_tables"]

SANDBOX_INPUTS = INPUTS_MOUNT
"""Where the backend mounts the inputs directory inside the sandbox."""


def write_inputs(
    platform: Platform, datasets: Mapping[str, int], directory: Path
) -> dict[str, str]:
    """Write each ``name: version`` as ``<directory>/<n>.arrow``; return the in-sandbox paths."""
    paths: dict[str, str] = {}
    for index, (name, version) in enumerate(sorted(datasets.items())):
        with platform.sessions() as session:
            stored = version_row(session, dataset_row(session, name), version)
            path = stored.storage_path
        with platform.store.filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle, decryption_properties=read_properties())
            paths[name] = _write(directory, index, parquet.schema_arrow, parquet.iter_batches())
    directory.chmod(0o755)
    return paths


def write_tables(tables: Mapping[str, pa.Table], directory: Path) -> dict[str, str]:
    """Write tables held in memory (a dry run's mock tables) exactly as :func:`write_inputs`
    writes a job's versions; return the in-sandbox paths.
    """
    paths = {
        name: _write(directory, index, table.schema, table.to_batches())
        for index, (name, table) in enumerate(sorted(tables.items()))
    }
    directory.chmod(0o755)
    return paths


def _write(
    directory: Path, index: int, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> str:
    """Write one input as a read-only Arrow IPC file; return its path inside the sandbox."""
    filename = f"table-{index}.arrow"
    with (
        pa.OSFile(str(directory / filename), "wb") as sink,
        pa.ipc.new_file(sink, schema) as writer,
    ):
        for batch in batches:
            writer.write_batch(batch)
    (directory / filename).chmod(0o444)
    return f"{SANDBOX_INPUTS}/{filename}"
