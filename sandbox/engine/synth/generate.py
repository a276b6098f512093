"""The synthetic table: codes drawn from the model, decoded into the columns' values.

Categorical codes become their public category; numeric codes a uniform draw within their
public bin (:meth:`~sandbox.engine.synth.domain.Attribute.decode`). The column types are
the dictionary's (a derived column: its categories' type), so the table has the shape a
model or a preview reader expects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sandbox.engine.synth.domain import SynthDomain

__all__ = ["synthetic_table"]


def synthetic_table(
    domain: SynthDomain, codes: Sequence[npt.NDArray[np.int64]], rng: np.random.Generator
) -> pa.Table:
    """The synthetic rows as an Arrow table with one column per attribute."""
    columns: dict[str, pa.Array] = {}
    # The sampler emits rows grouped by their codes: shuffled, so that any slice of the
    # table (a preview's first rows) is a sample of it.
    order = rng.permutation(len(codes[0])) if codes else np.zeros(0, dtype=np.int64)
    for attribute, column in zip(domain.attributes, codes, strict=True):
        values = attribute.decode(np.asarray(column, dtype=np.int64)[order], rng)
        if attribute.edges is not None:
            kind = pa.int64() if attribute.integer else pa.float64()
            columns[attribute.name] = pa.array(values, type=kind)
        else:
            columns[attribute.name] = pa.array(values)
    return pa.table(columns)
