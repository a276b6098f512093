"""Synthetic previews: rows shaped like a dataset that hold no real value.

A preview is generated from the data dictionary alone (types, declared categories, declared
bounds). It never reads the dataset's files, so it cannot leak a real value by construction;
``tests/unit/test_preview.py`` checks that too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from sandbox.catalog.dictionary import Classification, ColumnSpec, ColumnType, DataDictionary

MAX_PREVIEW_ROWS = 100
_WORDS = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
)
_EPOCH = date(2000, 1, 1)


def synthetic_preview(dictionary: DataDictionary, *, rows: int, seed_text: str) -> pa.Table:
    """``rows`` synthetic rows for ``dictionary``, reproducible for the same ``seed_text``."""
    return synthetic_rows(dictionary, rows=min(rows, MAX_PREVIEW_ROWS), seed_text=seed_text)


def synthetic_rows(dictionary: DataDictionary, *, rows: int, seed_text: str) -> pa.Table:
    """``rows`` synthetic rows for ``dictionary`` with no cap: the generator behind the
    preview and the mock tables of dry runs (:mod:`sandbox.catalog.mock`), which bound
    ``rows`` themselves.
    """
    rows = max(0, rows)
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    arrays = [_column(spec, rows, rng) for spec in dictionary.columns]
    return pa.Table.from_arrays(arrays, schema=dictionary.arrow_schema())


def _column(spec: ColumnSpec, rows: int, rng: np.random.Generator) -> pa.Array:
    arrow_type = spec.type.arrow_type()
    if spec.type is ColumnType.STRING:
        return pa.array(_strings(spec, rows, rng), type=arrow_type)
    if spec.type is ColumnType.INT64:
        low = int(spec.lower) if spec.lower is not None else 0
        high = int(spec.upper) if spec.upper is not None else max(low, 0) + 100
        return pa.array(rng.integers(low, high + 1, size=rows), type=arrow_type)
    if spec.type is ColumnType.FLOAT64:
        low_f = spec.lower if spec.lower is not None else 0.0
        high_f = spec.upper if spec.upper is not None else low_f + 1.0
        return pa.array(np.round(rng.uniform(low_f, high_f, size=rows), 2), type=arrow_type)
    if spec.type is ColumnType.BOOL:
        return pa.array(rng.integers(0, 2, size=rows).astype(bool), type=arrow_type)
    days = rng.integers(0, 365 * 25, size=rows)
    if spec.type is ColumnType.DATE:
        return pa.array([_EPOCH + timedelta(days=int(d)) for d in days], type=arrow_type)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    seconds = rng.integers(0, 86_400, size=rows)
    moments = [
        start + timedelta(days=int(d), seconds=int(s)) for d, s in zip(days, seconds, strict=True)
    ]
    return pa.array(moments, type=arrow_type)


def _strings(spec: ColumnSpec, rows: int, rng: np.random.Generator) -> list[str]:
    if spec.categories:
        picks = rng.integers(0, len(spec.categories), size=rows)
        return [spec.categories[int(i)] for i in picks]
    if spec.classification is Classification.IDENTIFIER:
        return [f"SYN-{int(v):08x}" for v in rng.integers(0, 2**32, size=rows)]
    return [
        " ".join(_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), size=3)) for _ in range(rows)
    ]
