"""The raw tables of a raw-access job, written where only its hardened sandbox reads them.

For each dataset of the job the version it was submitted against is copied, as an Arrow IPC
file, into the job's private inputs directory, which the backend exposes read-only at
``/inputs`` inside the sandbox. Nothing of it crosses back except through the job's result,
log and errors, which are held for the output checks and review.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.catalog.queries import dataset_row, version_row
from sandbox.platform import Platform
from sandbox.runtime.backends.base import INPUTS_MOUNT

__all__ = ["SANDBOX_INPUTS", "write_inputs"]

SANDBOX_INPUTS = INPUTS_MOUNT
"""Where the backend mounts the inputs directory inside the sandbox."""


def write_inputs(platform: Platform, datasets: Mapping[str, int], directory: Path
                 ) -> dict[str, str]:
    """Write each ``name: version`` as ``<directory>/<n>.arrow``; return the in-sandbox paths."""
    paths: dict[str, str] = {}
    for index, (name, version) in enumerate(sorted(datasets.items())):
        with platform.sessions() as session:
            stored = version_row(session, dataset_row(session, name), version)
            path = stored.storage_path
        filename = f"table-{index}.arrow"
        with platform.store.filesystem.open_input_file(path) as handle:
            parquet = pq.ParquetFile(handle)
            with pa.OSFile(str(directory / filename), "wb") as sink, \
                    pa.ipc.new_file(sink, parquet.schema_arrow) as writer:
                for batch in parquet.iter_batches():
                    writer.write_batch(batch)
        (directory / filename).chmod(0o444)
        paths[name] = f"{SANDBOX_INPUTS}/{filename}"
    directory.chmod(0o755)
    return paths
