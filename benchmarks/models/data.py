"""Generate the models benchmark's table, deterministically, once per size.

Each row is one person (``person_id``). The features ``x1..x4`` come from a mixture of four
anisotropic Gaussians (:data:`~benchmarks.models.spec.CENTRES`, ``SCALES``), clipped to the
public bounds; ``klass`` is the row's component; ``y`` is linear in the features plus
Gaussian noise (clipped to ``Y_BOUNDS``, which almost never bites); ``label`` is drawn from
a logistic model of the features; ``c1..c5`` are categorical, each drawn given its parent in
a fixed tree (``SYNTH_PARENTS``) by a seeded conditional table, so the 2-way marginals hold
structure an MST must find. Rows are generated in batches of 1,000,000 (one zstd row group
each, a seed per batch), so a file of N rows is the same on every machine.

Usage: ``python -m benchmarks.models.data --rows N [--data-dir var/bench]``; prints the
paths. Files that exist are kept.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.models.spec import (
    CENTRES,
    CLASSES,
    FEATURE_BOUNDS,
    FEATURES,
    LABELS,
    LOGISTIC_COEFFICIENTS,
    LOGISTIC_INTERCEPT,
    NOISE_STD,
    SCALES,
    SYNTH_COLUMNS,
    SYNTH_DOMAINS,
    SYNTH_PARENTS,
    TEST_ROWS,
    TRUE_COEFFICIENTS,
    TRUE_INTERCEPT,
    Y_BOUNDS,
    dataset_path,
)

SEED = 20261207
TEST_SEED = 20261208
TABLE_SEED = 7
BATCH_ROWS = 1_000_000


def conditional_tables() -> dict[str, np.ndarray]:
    """Per column, ``P(value | parent value)`` (a row per parent value; the root: one row).

    Seeded and fixed: skewed Dirichlet draws, so marginals are far from uniform.
    """
    rng = np.random.default_rng(TABLE_SEED)
    tables: dict[str, np.ndarray] = {}
    for column in SYNTH_COLUMNS:
        parent = SYNTH_PARENTS[column]
        parents = 1 if parent is None else len(SYNTH_DOMAINS[parent])
        size = len(SYNTH_DOMAINS[column])
        tables[column] = rng.dirichlet(np.full(size, 0.6), size=parents)
    return tables


def _draw(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One category per row from per-row probability vectors (inverse CDF)."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random((probabilities.shape[0], 1))
    return np.minimum((u > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def batch(rows: int, seed: int, first_id: int) -> pa.Table:
    """``rows`` generated rows with ids from ``first_id`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    component = rng.integers(0, len(CENTRES), rows)
    centres = np.asarray(CENTRES)[component]
    x = centres + rng.standard_normal((rows, len(FEATURES))) * np.asarray(SCALES)
    x = np.clip(x, *FEATURE_BOUNDS)
    y = TRUE_INTERCEPT + x @ np.asarray(TRUE_COEFFICIENTS) + NOISE_STD * rng.standard_normal(rows)
    y = np.clip(y, *Y_BOUNDS)
    logit = LOGISTIC_INTERCEPT + x @ np.asarray(LOGISTIC_COEFFICIENTS)
    label = rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))
    columns: dict[str, pa.Array] = {
        "person_id": pa.array(np.arange(first_id, first_id + rows, dtype=np.int64)),
        **{name: pa.array(x[:, i]) for i, name in enumerate(FEATURES)},
        "y": pa.array(y),
        "label": pa.array(np.asarray(LABELS)[label.astype(int)]),
        "klass": pa.array(np.asarray(CLASSES)[component]),
    }
    tables = conditional_tables()
    codes: dict[str, np.ndarray] = {}
    for column in SYNTH_COLUMNS:
        parent = SYNTH_PARENTS[column]
        table = tables[column]
        probabilities = table[np.zeros(rows, dtype=int) if parent is None else codes[parent]]
        codes[column] = _draw(rng, probabilities)
        columns[column] = pa.array(np.asarray(SYNTH_DOMAINS[column])[codes[column]])
    return pa.table(columns)


def ensure(rows: int, data_dir: Path | str = "var/bench", *, test: bool = False) -> Path:
    """The table of ``rows`` rows (``test``: the held-out one), generated if missing."""
    path = dataset_path(data_dir, rows if not test else TEST_ROWS, test=test)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".partial-{os.getpid()}")
    total = TEST_ROWS if test else rows
    base_seed = TEST_SEED if test else SEED
    writer: pq.ParquetWriter | None = None
    try:
        done = 0
        index = 0
        while done < total:
            size = min(BATCH_ROWS, total - done)
            table = batch(size, base_seed * 1000 + index, done)
            if writer is None:
                writer = pq.ParquetWriter(partial, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=size)
            done += size
            index += 1
    finally:
        if writer is not None:
            writer.close()
    partial.replace(path)
    return path


def main() -> None:
    """Command line: generate (or find) the files and print their paths."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default="var/bench")
    args = parser.parse_args()
    print(ensure(args.rows, args.data_dir))
    print(ensure(args.rows, args.data_dir, test=True))


if __name__ == "__main__":
    main()
