"""Generate the benchmark's Parquet data, deterministically, once per size.

Persons have 1 to 5 rows each and live in one of 32 districts (of unequal sizes); income is
lognormal with a district effect, so about 2% of rows lie above the clipping bound; each
person has an age (uniform over 0 to 99), drawn last so the other columns are those the
file had without it. Beside it, the join query's *benefits* table (:func:`ensure_benefits`):
half of the persons hold 1 to 3 benefit records (a scheme, an amount lognormal around 500,
about 1% above the clipping bound), drawn from seeds of their own. Rows are
generated and written in batches (one Parquet row group each, zstd), so memory stays bounded
by the batch size; each batch has its own seed, so a file of N rows is the same on every
machine and every run.

Usage: ``python -m benchmarks.dp.data [--rows N] [--data-dir var/bench] [--benefits]``; prints
the path (with ``--benefits``, the benefits table's too). A file that already exists is kept.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.dp.spec import (
    BENEFIT_ROWS_PER_PERSON,
    DISTRICTS,
    MAX_ROWS_PER_PERSON,
    SCHEMES,
    benefits_path,
    dataset_path,
)

SEED = 20261125
BENEFITS_SEED = 20261207
BATCH_ROWS = 1_000_000

BENEFITS_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.int64()),
        pa.field("scheme", pa.string()),
        pa.field("amount", pa.float64()),
    ]
)

SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.int64()),
        pa.field("district", pa.string()),
        pa.field("income", pa.float64()),
        pa.field("age", pa.int64()),
    ]
)


def _district_weights() -> np.ndarray:
    """Unequal district sizes: the largest about six times the smallest."""
    weights = 1.0 / np.sqrt(np.arange(1, len(DISTRICTS) + 1))
    return weights / weights.sum()


def make_batch(batch: int, rows: int, first_person: int) -> tuple[pa.Table, int]:
    """One batch of ``rows`` rows whose persons are numbered from ``first_person``.

    Returns:
        The batch as a table, and the number of persons in it.
    """
    rng = np.random.default_rng([SEED, batch])
    sizes = rng.integers(1, MAX_ROWS_PER_PERSON + 1, size=rows)
    ends = np.cumsum(sizes)
    persons = int(np.searchsorted(ends, rows) + 1)
    sizes = sizes[:persons]
    sizes[-1] -= int(ends[persons - 1]) - rows  # the last person is cut to fit exactly
    person_district = rng.choice(len(DISTRICTS), size=persons, p=_district_weights())
    person_ids = np.arange(first_person, first_person + persons, dtype=np.int64)
    district_idx = np.repeat(person_district, sizes)
    income = rng.lognormal(mean=10.4 + 0.015 * district_idx, sigma=0.8, size=rows)
    order = rng.permutation(rows)
    person_age = rng.integers(0, 100, size=persons)
    districts = pa.DictionaryArray.from_arrays(
        pa.array(district_idx[order].astype(np.int32)), pa.array(DISTRICTS)
    ).cast(pa.string())
    table = pa.table(
        [
            pa.array(np.repeat(person_ids, sizes)[order]),
            districts,
            pa.array(income[order]),
            pa.array(np.repeat(person_age, sizes)[order].astype(np.int64)),
        ],
        schema=SCHEMA,
    )
    return table, persons


def persons_of_batch(batch: int, rows: int) -> int:
    """How many persons :func:`make_batch` puts in batch ``batch`` of ``rows`` rows (its first
    draw, repeated: the benefits table needs the persons, not the rows).
    """
    rng = np.random.default_rng([SEED, batch])
    ends = np.cumsum(rng.integers(1, MAX_ROWS_PER_PERSON + 1, size=rows))
    return int(np.searchsorted(ends, rows) + 1)


def make_benefits_batch(batch: int, persons: int, first_person: int) -> pa.Table:
    """The benefit records of the persons numbered ``first_person`` to ``+ persons - 1``."""
    rng = np.random.default_rng([BENEFITS_SEED, batch])
    holds = rng.random(persons) < 0.5
    records = np.where(holds, rng.integers(1, BENEFIT_ROWS_PER_PERSON + 1, size=persons), 0)
    ids = np.repeat(np.arange(first_person, first_person + persons, dtype=np.int64), records)
    rows = len(ids)
    scheme = rng.integers(0, len(SCHEMES), size=rows)
    amount = rng.lognormal(mean=6.0 + 0.2 * scheme, sigma=0.6, size=rows)
    order = rng.permutation(rows)
    schemes = pa.DictionaryArray.from_arrays(
        pa.array(scheme[order].astype(np.int32)), pa.array(SCHEMES)
    ).cast(pa.string())
    return pa.table(
        [pa.array(ids[order]), schemes, pa.array(amount[order])], schema=BENEFITS_SCHEMA
    )


def generate_benefits(path: Path, rows: int) -> Path:
    """Write the benefits table of the people file of ``rows`` rows (through a temporary
    name), batch by batch like the people file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    try:
        with pq.ParquetWriter(tmp, BENEFITS_SCHEMA, compression="zstd") as writer:
            done, next_person, batch = 0, 0, 0
            while done < rows:
                n = min(BATCH_ROWS, rows - done)
                persons = persons_of_batch(batch, n)
                table = make_benefits_batch(batch, persons, next_person)
                writer.write_table(table, row_group_size=max(1, table.num_rows))
                done, next_person, batch = done + n, next_person + persons, batch + 1
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def ensure_benefits(data_dir: Path | str, rows: int) -> Path:
    """The cached benefits table beside the people file of ``rows`` rows (made if missing)."""
    path = benefits_path(dataset_path(data_dir, rows))
    if not path.exists():
        generate_benefits(path, rows)
    return path


def generate(path: Path, rows: int) -> Path:
    """Write the file of ``rows`` rows to ``path`` (through a temporary name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    try:
        with pq.ParquetWriter(tmp, SCHEMA, compression="zstd") as writer:
            done, next_person, batch = 0, 0, 0
            while done < rows:
                n = min(BATCH_ROWS, rows - done)
                table, persons = make_batch(batch, n, next_person)
                writer.write_table(table, row_group_size=n)
                done, next_person, batch = done + n, next_person + persons, batch + 1
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def ensure(data_dir: Path | str, rows: int) -> Path:
    """The cached file of ``rows`` rows, generated first if it is missing."""
    path = dataset_path(data_dir, rows)
    if not path.exists():
        generate(path, rows)
    return path


def main() -> None:
    """Generate (if missing) and print the path of the file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--benefits", action="store_true", help="also the benefits table")
    args = parser.parse_args()
    print(ensure(args.data_dir, args.rows))
    if args.benefits:
        print(ensure_benefits(args.data_dir, args.rows))


if __name__ == "__main__":
    main()
