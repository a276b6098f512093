"""Reading a dataset's DP synthetic sample, where a preview or a mock table is served.

The sample (made by :mod:`sandbox.engine.synth.preview`, recorded by
:mod:`sandbox.catalog.synthetic`) is a DP release already charged to the dataset's
lifetime budget: serving it again costs nothing. It has the dataset's full schema, so it
stands in for the uniform mock table of a dry run or a local run as it is.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.catalog.synthetic import SyntheticSample
from sandbox.errors import SandboxInternalError
from sandbox.platform import Platform

__all__ = ["sample_table"]


def sample_table(platform: Platform, sample: SyntheticSample, rows: int | None = None) -> pa.Table:
    """The stored sample (its first ``rows`` rows), checked against its recorded hash."""
    store = platform.store
    if store.sha256(sample.path) != sample.sha256:
        raise SandboxInternalError(f"the DP synthetic sample of {sample.dataset!r} is damaged")
    with store.filesystem.open_input_file(sample.path) as handle:
        table = pq.read_table(handle)
    return table if rows is None else table.slice(0, rows)
