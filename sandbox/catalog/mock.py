"""Mock tables: what a dry run reads in place of a dataset's rows.

A mock table has the dataset's schema and is generated, like the synthetic preview
(:func:`sandbox.catalog.preview.synthetic_rows`), from the data dictionary alone: the
column types, the declared categories and the declared bounds. It never reads the dataset's
files, so it holds no real value and no fact of the data beyond the dictionary's public
ones (not even the row count: every mock has :data:`MOCK_ROWS` rows, or what the platform
sets). It is seeded by the dataset's name, so the same dataset gives the same mock on the
server and on a researcher's machine, run after run.
"""

from __future__ import annotations

import pyarrow as pa

from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.preview import synthetic_rows

__all__ = ["MAX_MOCK_ROWS", "MOCK_ROWS", "mock_seed", "mock_table"]

MOCK_ROWS = 1000
"""Rows of a mock table unless the platform sets another number (``SANDBOX_MOCK_ROWS``)."""

MAX_MOCK_ROWS = 100_000
"""Most rows a mock table may have: a dry run is a quick try, not a load test."""


def mock_seed(dataset: str) -> str:
    """The seed text of a dataset's mock table (another than its preview's)."""
    return f"{dataset}/mock"


def mock_table(dictionary: DataDictionary, dataset: str, rows: int = MOCK_ROWS) -> pa.Table:
    """The mock table of ``dataset``: ``rows`` synthetic rows of its dictionary's schema.

    Raises:
        ValueError: ``rows`` is not between 1 and :data:`MAX_MOCK_ROWS`.
    """
    if not 1 <= rows <= MAX_MOCK_ROWS:
        raise ValueError(f"a mock table has between 1 and {MAX_MOCK_ROWS} rows")
    return synthetic_rows(dictionary, rows=rows, seed_text=mock_seed(dataset))
