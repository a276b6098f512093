"""Reading a dataset version's file for a verification index: only the service's columns,
one row group at a time, through the readers every trusted read uses (page checksums
verified, an encrypted file decrypted: :func:`sandbox.storage.integrity.open_parquet`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from sandbox.storage.datastore import DataStore
from sandbox.storage.integrity import open_parquet, unreadable


def column_batches(
    store: DataStore, path: str, columns: Sequence[str]
) -> Iterator[dict[str, list[object]]]:
    """The values of ``columns`` of the stored version at ``path``, a row group at a time.

    Raises:
        DamagedFile: A page cannot be read (the caller reports it to the provider).
    """
    wanted = list(dict.fromkeys(columns))
    try:
        with store.filesystem.open_input_file(path) as handle:
            parquet = open_parquet(handle)
            for index in range(parquet.metadata.num_row_groups):
                group = parquet.read_row_group(index, columns=wanted)
                yield {name: group.column(name).to_pylist() for name in wanted}
    except (pa.ArrowException, OSError) as exc:
        raise unreadable(exc) from exc
