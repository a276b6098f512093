"""Executing a query's joins on the trusted side: joined fragments, in bounded memory, kept.

What is joined and why it is private is decided in :mod:`sandbox.engine.joins`; this module
only builds the rows, from the versions' Parquet files, with pyarrow, in the engine's tasks
(Ray, or in-process for small versions):

*Private join* (two granted datasets on their privacy unit):

1. each side is truncated to ``k`` rows per unit: that is the contribution-bounded copy of
   its version at bound ``k`` (:mod:`sandbox.engine.bounding`, kept per version and bound);
2. both truncated copies are hash-partitioned by unit into the same ``P`` buckets, with the
   stable hash contribution bounding uses, so every unit's rows of both sides meet in one
   bucket; ``P`` is chosen so that a bucket's two sides *and* their join hold about
   :data:`~sandbox.engine.bounding.ROWS_PER_BUCKET` rows;
3. one task per bucket joins its two sides on the unit (pyarrow's hash join) and, when a
   bound below ``k_left * k_right`` is asked, keeps each unit's first ``bound`` joined rows
   in an order fixed by the unit's own rows alone (its left rows, then its right rows, in
   file order), then writes one fragment.

*Public join* (a lookup table, an unconditional dataset): one task per fragment of the rows
being joined reads the public table (at most :data:`~sandbox.engine.joins.MAX_PUBLIC_ROWS`
rows) and joins it batch by batch, each batch at most ``BATCH_ROWS / multiplicity`` rows so
that its output holds at most :data:`BATCH_ROWS` rows.

Memory: a private-join task holds its bucket's two sides and their join (about
``ROWS_PER_BUCKET`` rows in all, whatever the version's size); a public-join task one batch,
its output and the public table's columns. Both are written in a private attempt prefix
committed by a manifest written last (no rename, which S3 lacks:
:func:`~sandbox.engine.bounding.kept_copy`), under ``<data root>/_joined/<digest>/``, where
the digest names the inputs (versions' SHA-256, units, bounds, columns), so a join is
built once and reused by every later release, like the bounded copies. Nothing here is
released: the joined rows are aggregated by the usual partial-aggregate scan, which adds
noise once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from sandbox.engine.bounding import (
    ROWS_PER_BUCKET,
    BoundedVersion,
    keep_mask,
    kept_copy,
    partition_chunk,
)
from sandbox.engine.compute import TaskPool
from sandbox.engine.partial_plan import Fragment
from sandbox.storage.encryption import read_properties, write_properties
from sandbox.storage.ingest import ROW_GROUP_ROWS

CACHE_DIR = "_joined"
BATCH_ROWS = 1_000_000
"""Most joined rows a public-join task holds at once."""
LEFT_ROW = "#left_row"
RIGHT_ROW = "#right_row"
"""Internal columns: each row's position on its side (a data column never starts with #)."""

Renaming = tuple[tuple[str, str], ...]
"""``(stored name, joined name)`` of the columns one side contributes, in output order."""


@dataclass(frozen=True)
class PrivateJoinJob:
    """What one private join builds (see the module docstring)."""

    unit: str
    left: Renaming
    """The left side's columns, its unit column among them (never renamed)."""
    right: Renaming
    """The right side's columns, its unit column excluded (the left's is kept)."""
    bound: int | None
    """Joined rows kept per unit, or ``None`` to keep every one (at most ``k_l * k_r``)."""
    multiplicity: int
    """Most joined rows one left row (or one right row) yields: the other side's ``k``."""


@dataclass(frozen=True)
class PublicJoinJob:
    """What one public join builds."""

    on: str
    how: str
    """``inner`` or ``left`` (rows without a match kept, with nulls)."""
    rows: Renaming
    """The joined rows' own columns (renamed where the table has the same name)."""
    table: Renaming
    """The public table's columns, its key excluded."""
    multiplicity: int
    """Most rows of the table one key has (at least 1)."""


def _renamed(table: pa.Table, renaming: Renaming) -> pa.Table:
    return pa.table({joined: table[stored] for stored, joined in renaming})


def _positions(rows: int) -> pa.Array:
    return pa.array(range(rows), type=pa.int64())


def join_private_tables(left: pa.Table, right: pa.Table, job: PrivateJoinJob) -> pa.Table:
    """The inner join of two truncated sides on the unit, bounded per unit if asked.

    The order kept rows are chosen in (left position, then right position) depends only on
    each unit's own rows in the two files, so the choice does not depend on anyone else.
    """
    left = _renamed(left, job.left).append_column(LEFT_ROW, _positions(left.num_rows))
    right = _renamed(right, ((job.unit, job.unit), *job.right)).append_column(
        RIGHT_ROW, _positions(right.num_rows)
    )
    joined = left.join(right, keys=job.unit, join_type="inner", use_threads=False)
    if job.bound is not None and joined.num_rows:
        joined = joined.sort_by([(LEFT_ROW, "ascending"), (RIGHT_ROW, "ascending")])
        joined = joined.filter(pa.array(keep_mask(joined[job.unit].combine_chunks(), job.bound)))
    return joined.select([name for _, name in job.left] + [name for _, name in job.right])


def join_public_table(rows: pa.Table, table: pa.Table, job: PublicJoinJob) -> pa.Table:
    """``rows`` joined with the public ``table`` on ``job.on`` (inner or left)."""
    own = _renamed(rows, job.rows)
    public = _renamed(table, ((job.on, job.on), *job.table))
    how = "inner" if job.how == "inner" else "left outer"
    joined = own.join(public, keys=job.on, join_type=how, use_threads=False)
    return joined.select([name for _, name in job.rows] + [name for _, name in job.table])


# --- tasks (run in Ray, or in-process) ------------------------------------------------------


def _read(filesystem: pafs.FileSystem, fragment: Fragment) -> pa.Table:
    """A fragment with all its columns: a bucket part (Arrow IPC, or Parquet under an
    encrypted root) or Parquet row groups.
    """
    with filesystem.open_input_file(fragment.path) as handle:
        if fragment.path.endswith(".arrow"):
            return pa.ipc.open_file(handle).read_all()
        parquet = pq.ParquetFile(handle, decryption_properties=read_properties())
        if fragment.row_groups is None:
            return parquet.read(use_threads=False)
        return parquet.read_row_groups(list(fragment.row_groups), use_threads=False)


def _write(filesystem: pafs.FileSystem, table: pa.Table, out_path: str) -> tuple[str, int]:
    if table.num_rows == 0:
        return out_path, 0
    pq.write_table(
        table,
        out_path,
        filesystem=filesystem,
        compression="lz4",
        row_group_size=ROW_GROUP_ROWS,
        encryption_properties=write_properties(out_path),
    )
    with filesystem.open_input_file(out_path) as handle:
        return out_path, int(
            pq.ParquetFile(handle, decryption_properties=read_properties()).metadata.num_row_groups
        )


def join_bucket(
    filesystem: pafs.FileSystem,
    left: Sequence[Fragment],
    right: Sequence[Fragment],
    job: PrivateJoinJob,
    out_path: str,
) -> tuple[str, int]:
    """Join one bucket's two sides and write the fragment (a task); ``(path, row groups)``."""
    if not left or not right:
        return out_path, 0
    left_table = pa.concat_tables([_read(filesystem, f) for f in left])
    right_table = pa.concat_tables([_read(filesystem, f) for f in right])
    return _write(filesystem, join_private_tables(left_table, right_table, job), out_path)


def join_public_fragment(
    filesystem: pafs.FileSystem,
    fragment: Fragment,
    table_path: str,
    job: PublicJoinJob,
    out_path: str,
) -> tuple[str, int]:
    """Join one fragment with the public table, batch by batch (a task)."""
    columns = [job.on] + [stored for stored, _ in job.table]
    with filesystem.open_input_file(table_path) as handle:
        table = pq.ParquetFile(handle, decryption_properties=read_properties()).read(
            columns=columns, use_threads=False
        )
    rows = _read(filesystem, fragment)
    step = max(1, BATCH_ROWS // job.multiplicity)
    writer: pq.ParquetWriter | None = None
    try:
        for start in range(0, rows.num_rows, step):
            joined = join_public_table(rows.slice(start, step), table, job)
            if joined.num_rows == 0:
                continue
            if writer is None:
                writer = pq.ParquetWriter(
                    out_path,
                    joined.schema,
                    filesystem=filesystem,
                    compression="lz4",
                    encryption_properties=write_properties(out_path),
                )
            writer.write_table(joined, row_group_size=ROW_GROUP_ROWS)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        return out_path, 0
    with filesystem.open_input_file(out_path) as handle:
        return out_path, int(
            pq.ParquetFile(handle, decryption_properties=read_properties()).metadata.num_row_groups
        )


# --- building and keeping the joined copy ----------------------------------------------------


def buckets_for(
    left_rows: int, right_rows: int, job: PrivateJoinJob, rows_per_bucket: int = ROWS_PER_BUCKET
) -> int:
    """How many buckets keep a bucket's two sides and their join near ``rows_per_bucket``."""
    joined = min(left_rows, right_rows) * job.multiplicity
    return max(1, math.ceil((left_rows + right_rows + joined) / rows_per_bucket))


def joined_private(
    filesystem: pafs.FileSystem,
    root: str,
    digest: str,
    left: BoundedVersion,
    right: BoundedVersion,
    rows: tuple[int, int],
    job: PrivateJoinJob,
    pool: TaskPool,
    *,
    rows_per_bucket: int = ROWS_PER_BUCKET,
) -> BoundedVersion:
    """The joined fragments of two truncated sides, built on first use and kept."""
    most = left.contribution_bound * right.contribution_bound
    rows_per_unit = most if job.bound is None else min(job.bound, most)
    buckets = buckets_for(rows[0], rows[1], job, rows_per_bucket)

    def build(temporary: str) -> list[tuple[str, int]]:
        if buckets == 1:
            sides = [(list(left.fragments), list(right.fragments))]
        else:
            parts = f"{temporary}/parts"
            filesystem.create_dir(parts, recursive=True)
            split = [
                _partition(filesystem, side.fragments, job.unit, buckets, f"{parts}/{name}", pool)
                for name, side in (("left", left), ("right", right))
            ]
            sides = list(zip(split[0], split[1], strict=True))
        written = pool.map(
            join_bucket,
            [
                (filesystem, lefts, rights, job, f"{temporary}/fragment-{index:05d}.parquet")
                for index, (lefts, rights) in enumerate(sides)
                if lefts and rights
            ],
        )
        if buckets > 1:
            filesystem.delete_dir(f"{temporary}/parts")
        return written

    return _kept(filesystem, root, digest, rows_per_unit, build)


def _partition(
    filesystem: pafs.FileSystem,
    fragments: Sequence[Fragment],
    unit: str,
    buckets: int,
    directory: str,
    pool: TaskPool,
) -> list[list[Fragment]]:
    """One side's fragments split into per-bucket parts (in fragment order, so in file
    order within each unit).
    """
    filesystem.create_dir(directory, recursive=True)
    written = pool.map(
        partition_chunk,
        [
            (filesystem, fragment, unit, buckets, directory, index)
            for index, fragment in enumerate(fragments)
        ],
    )
    by_bucket: list[list[Fragment]] = [[] for _ in range(buckets)]
    for parts in written:
        for bucket, path in parts:
            by_bucket[bucket].append(Fragment(path))
    return by_bucket


def joined_public(
    filesystem: pafs.FileSystem,
    root: str,
    digest: str,
    source: BoundedVersion,
    table_path: str,
    job: PublicJoinJob,
    pool: TaskPool,
) -> BoundedVersion:
    """The fragments of ``source`` joined with a public table, built on first use and kept."""

    def build(temporary: str) -> list[tuple[str, int]]:
        return pool.map(
            join_public_fragment,
            [
                (filesystem, fragment, table_path, job, f"{temporary}/fragment-{index:05d}.parquet")
                for index, fragment in enumerate(source.fragments)
            ],
        )

    return _kept(filesystem, root, digest, source.contribution_bound * job.multiplicity, build)


def _kept(
    filesystem: pafs.FileSystem,
    root: str,
    digest: str,
    rows_per_unit: int,
    build: Callable[[str], list[tuple[str, int]]],
) -> BoundedVersion:
    """The copy named ``digest``: loaded if committed, else built in its own attempt and
    committed by its manifest (a concurrent builder's copy is as good as ours).
    """
    return kept_copy(
        filesystem,
        f"{root}/{CACHE_DIR}/{digest}",
        rows_per_unit,
        build,
        described={"rows_per_unit": rows_per_unit},
    )
