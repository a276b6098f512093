"""Contribution bounding by the privacy unit, done once per dataset version and kept.

Each privacy unit keeps at most ``bound`` of its rows (the first ones in file order), hence
at most that many in any group and across all groups. Rows whose unit is null are dropped:
they cannot be attributed to anyone, so they cannot be bounded. Without a privacy unit each
row is its own unit and nothing needs to be done.

The work depends only on the immutable version, the unit column and the bound, so its
result is kept under ``<data root>/_bounded/<version sha256>/<unit>-<bound>/`` and reused:

1. *Partition* (parallel, one task per chunk of row groups): rows are hash-partitioned by
   unit into ``P`` buckets, ``P`` chosen from the row count so a bucket holds about
   :data:`ROWS_PER_BUCKET` rows; every unit lands wholly in one bucket.
2. *Bound* (parallel, one task per bucket): a bucket's parts are read in chunk order, rows
   are ranked within their unit (stable, so in file order) and those ranked below the bound
   are written as one bounded Parquet fragment (parts are temporary Arrow IPC files).

Memory is bounded by the size of a chunk or a bucket, never by the dataset. Every file is
written under its final name in a private attempt prefix, and the copy is committed by its
manifest, written last (:mod:`sandbox.storage.committed`): no move or rename, which object
stores such as S3 lack. Readers use only what a manifest lists; a build that died before
its manifest is ignored (and swept later), and concurrent builders each write their own
attempt, the first manifest winning for everyone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.engine.compute import TaskPool
from sandbox.engine.partials import Fragment, read_fragment
from sandbox.storage import committed
from sandbox.storage.encryption import read_properties, write_properties
from sandbox.storage.ingest import ROW_GROUP_ROWS

ROWS_PER_BUCKET = 1_500_000
"""Target rows per hash bucket (and so per bounded fragment)."""
ROW_GROUPS_PER_TASK = 8
"""Row groups read by one task (about a million rows)."""
MANIFEST_FORMAT = 2
"""Version 2: fragments in a per-attempt prefix committed by its manifest
(:mod:`sandbox.storage.committed`); version 1 copies (a renamed directory) are not read."""
CACHE_DIR = "_bounded"


@dataclass(frozen=True)
class BoundedVersion:
    """The fragments of a version after contribution bounding."""

    fragments: tuple[Fragment, ...]
    """Units of parallel work covering every kept row exactly once."""
    contribution_bound: int
    """Most rows any privacy unit has in these fragments (1 without a privacy unit)."""
    directory: str | None = None
    """Where the bounded copy lives; ``None`` when the version itself is used."""


def file_fragments(
    filesystem: pafs.FileSystem, path: str, row_groups_per_task: int = ROW_GROUPS_PER_TASK
) -> list[Fragment]:
    """Split one Parquet file into fragments of a few row groups each."""
    with filesystem.open_input_file(path) as handle:
        count = pq.ParquetFile(
            handle, decryption_properties=read_properties()
        ).metadata.num_row_groups
    if count <= row_groups_per_task:
        return [Fragment(path, None)]
    return [
        Fragment(path, tuple(range(start, min(start + row_groups_per_task, count))))
        for start in range(0, count, row_groups_per_task)
    ]


def bounded_version(
    filesystem: pafs.FileSystem,
    root: str,
    version_path: str,
    version_sha256: str,
    unit: str | None,
    bound: int,
    row_count: int,
    pool: TaskPool,
    *,
    rows_per_bucket: int = ROWS_PER_BUCKET,
    row_groups_per_task: int = ROW_GROUPS_PER_TASK,
) -> BoundedVersion:
    """The bounded fragments of a version, computed on first use and kept."""
    if bound < 1:
        raise ValueError("the contribution bound must be at least 1")
    if unit is None:
        return BoundedVersion(
            tuple(file_fragments(filesystem, version_path, row_groups_per_task)), 1
        )
    key = f"{root}/{CACHE_DIR}/{version_sha256}/{unit}-{bound}"

    def build(directory: str) -> list[tuple[str, int]]:
        return _build(
            filesystem,
            directory,
            version_path,
            unit,
            bound,
            row_count,
            pool,
            rows_per_bucket,
            row_groups_per_task,
        )

    return kept_copy(
        filesystem,
        key,
        bound,
        build,
        described={"unit": unit, "bound": bound},
        row_groups_per_task=row_groups_per_task,
    )


def kept_copy(
    filesystem: pafs.FileSystem,
    key: str,
    contribution_bound: int,
    build: Callable[[str], list[tuple[str, int]]],
    *,
    described: dict[str, Any],
    row_groups_per_task: int = ROW_GROUPS_PER_TASK,
) -> BoundedVersion:
    """The derived copy kept under ``key``: loaded if committed, else built and committed.

    ``build`` writes Parquet fragments under the directory it is given and returns each
    one's path and row-group count (0: nothing written); they are committed by a manifest
    (:mod:`sandbox.storage.committed`) that also records ``described``. A failed build
    removes its own attempt; a concurrent one that commits first wins for every caller.
    """
    existing = _load(filesystem, key, contribution_bound, row_groups_per_task)
    if existing is not None:
        return existing
    committed.sweep(filesystem, key)  # what builders that died here left behind
    attempt = committed.new_attempt(filesystem, key)
    try:
        written = build(f"{key}/{attempt}")
        if committed.load(filesystem, key) is not None:
            # Another builder committed meanwhile: adopt the winner (once any tie is visible).
            committed.discard(filesystem, key, attempt)
            committed.settle(filesystem)
            adopted = _load(filesystem, key, contribution_bound, row_groups_per_task)
            if adopted is not None:
                return adopted
        manifest = {
            "format": MANIFEST_FORMAT,
            **described,
            "fragments": [
                {"file": path.rsplit("/", 1)[1], "row_groups": groups}
                for path, groups in written
                if groups > 0
            ],
        }
        committed.commit(filesystem, key, attempt, manifest)
    except BaseException:
        committed.discard(filesystem, key, attempt)
        raise
    loaded = _load(filesystem, key, contribution_bound, row_groups_per_task)
    if loaded is None:
        raise OSError("a derived copy of a dataset version vanished after it was committed")
    return loaded


def _load(
    filesystem: pafs.FileSystem, key: str, contribution_bound: int, row_groups_per_task: int
) -> BoundedVersion | None:
    """The committed copy under ``key``: only the fragments its manifest lists."""
    found = committed.load(filesystem, key)
    if found is None or found.document.get("format") != MANIFEST_FORMAT:
        return None
    fragments: list[Fragment] = []
    for entry in found.document["fragments"]:
        path = found.path(entry["file"])
        groups = int(entry["row_groups"])
        for start in range(0, groups, row_groups_per_task):
            chunk = tuple(range(start, min(start + row_groups_per_task, groups)))
            fragments.append(Fragment(path, None if len(chunk) == groups else chunk))
    return BoundedVersion(tuple(fragments), contribution_bound, found.directory)


def _build(
    filesystem: pafs.FileSystem,
    directory: str,
    version_path: str,
    unit: str,
    bound: int,
    row_count: int,
    pool: TaskPool,
    rows_per_bucket: int,
    row_groups_per_task: int,
) -> list[tuple[str, int]]:
    """Write the bounded fragments under ``directory``; return each one's path and groups."""
    buckets = max(1, math.ceil(row_count / rows_per_bucket))
    if buckets == 1:
        bucket_inputs: list[list[Fragment]] = [[Fragment(version_path)]]
    else:
        chunks = file_fragments(filesystem, version_path, row_groups_per_task)
        parts_dir = f"{directory}/parts"
        filesystem.create_dir(parts_dir, recursive=True)
        written = pool.map(
            partition_chunk,
            [
                (filesystem, chunk, unit, buckets, parts_dir, index)
                for index, chunk in enumerate(chunks)
            ],
        )
        bucket_inputs = [[] for _ in range(buckets)]
        for chunk_parts in written:  # in chunk order, so file order is kept
            for bucket, path in chunk_parts:
                bucket_inputs[bucket].append(Fragment(path))
    outputs = pool.map(
        bound_bucket,
        [
            (filesystem, parts, unit, bound, f"{directory}/fragment-{index:05d}.parquet")
            for index, parts in enumerate(bucket_inputs)
            if parts
        ],
    )
    if buckets > 1:
        filesystem.delete_dir(f"{directory}/parts")
    return outputs


def _bucket_of(units: pa.Array, buckets: int) -> np.ndarray:
    """A stable bucket number per (non-null) unit value, the same in every process."""
    if pa.types.is_integer(units.type):
        raw = np.asarray(units.to_numpy(zero_copy_only=False))
    else:
        raw = np.asarray(pc.cast(units, pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    hashed = pd.util.hash_array(raw)
    return np.asarray(hashed % np.uint64(buckets), dtype=np.int64)


def partition_chunk(
    filesystem: pafs.FileSystem, chunk: Fragment, unit: str, buckets: int, out_dir: str, index: int
) -> list[tuple[int, str]]:
    """Split one chunk of a version into per-bucket part files (run in a Ray task)."""
    table = read_fragment(filesystem, chunk, _all_columns(filesystem, chunk.path))
    table = table.filter(pc.is_valid(table[unit]))
    if table.num_rows == 0:
        return []
    bucket = _bucket_of(table[unit].combine_chunks(), buckets)
    order = np.argsort(bucket, kind="stable")
    table = table.take(pa.array(order))
    sorted_buckets = bucket[order]
    starts = np.searchsorted(sorted_buckets, np.arange(buckets + 1), side="left")
    written: list[tuple[int, str]] = []
    for number in range(buckets):
        start, stop = int(starts[number]), int(starts[number + 1])
        if stop == start:
            continue
        path = f"{out_dir}/b{number:05d}-c{index:05d}"
        encryption = write_properties(path)
        if encryption is not None:  # an encrypted root: the parts are encrypted Parquet
            path += ".parquet"
            pq.write_table(
                table.slice(start, stop - start),
                path,
                filesystem=filesystem,
                compression="lz4",
                encryption_properties=encryption,
            )
        else:
            path += ".arrow"
            with (
                filesystem.open_output_stream(path) as stream,
                pa.ipc.new_file(stream, table.schema) as writer,
            ):
                writer.write_table(table.slice(start, stop - start))
        written.append((number, path))
    return written


def _read_part(filesystem: pafs.FileSystem, part: Fragment) -> pa.Table:
    """A bucket part: a temporary Arrow IPC file (an encrypted Parquet file under an
    encrypted root), or (one bucket only) the version itself.
    """
    if part.path.endswith(".arrow"):
        with filesystem.open_input_file(part.path) as handle:
            return pa.ipc.open_file(handle).read_all()
    return read_fragment(filesystem, part, _all_columns(filesystem, part.path))


def _all_columns(filesystem: pafs.FileSystem, path: str) -> list[str]:
    with filesystem.open_input_file(path) as handle:
        return list(
            pq.ParquetFile(handle, decryption_properties=read_properties()).schema_arrow.names
        )


def keep_mask(units: pa.Array, bound: int) -> np.ndarray:
    """Which rows to keep: each unit's first ``bound`` rows, in the given order."""
    count = len(units)
    if count == 0:
        return np.zeros(0, dtype=bool)
    if pa.types.is_integer(units.type) and units.null_count == 0:
        codes = np.asarray(units.to_numpy(zero_copy_only=False))
    else:
        codes = np.asarray(pc.dictionary_encode(units).indices.to_numpy(zero_copy_only=False))
    order = np.argsort(codes, kind="stable")  # stable: a unit's rows stay in file order
    ordered = codes[order]
    boundary = np.ones(count, dtype=bool)
    boundary[1:] = ordered[1:] != ordered[:-1]
    positions = np.arange(count)
    run_start = np.maximum.accumulate(np.where(boundary, positions, 0))
    keep = np.zeros(count, dtype=bool)
    keep[order[(positions - run_start) < bound]] = True
    return keep


def bound_bucket(
    filesystem: pafs.FileSystem, parts: Sequence[Fragment], unit: str, bound: int, out_path: str
) -> tuple[str, int]:
    """Keep each unit's first ``bound`` rows of one bucket; write them (run in a Ray task).

    Returns the written path and its number of row groups (0: nothing was kept or written).
    """
    table = pa.concat_tables([_read_part(filesystem, part) for part in parts])
    table = table.filter(pc.is_valid(table[unit]))
    if table.num_rows == 0:
        return out_path, 0
    keep = keep_mask(table[unit].combine_chunks(), bound)
    kept = table.filter(pa.array(keep))
    if kept.num_rows == 0:
        return out_path, 0
    pq.write_table(
        kept,
        out_path,
        filesystem=filesystem,
        compression="lz4",
        row_group_size=ROW_GROUP_ROWS,
        encryption_properties=write_properties(out_path),
    )
    with filesystem.open_input_file(out_path) as handle:
        parquet = pq.ParquetFile(handle, decryption_properties=read_properties())
        return out_path, int(parquet.metadata.num_row_groups)
