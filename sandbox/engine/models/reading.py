"""Reading a model's columns from the bounded copy: the rows a fitter is given, clipped.

Every fragment of the contribution-bounded copy (:mod:`sandbox.engine.bounding`; a joined
handle's joined rows) is read with pyarrow, in parallel tasks of the engine's pool: the
handle's derived columns are computed and its filter applied exactly as an aggregate's scan
does (:func:`sandbox.engine.shape.apply_shape`, after bounding, so each privacy unit still
has at most its bound of rows), then the model's columns are taken as float64:

* numeric columns clipped to their public bounds;
* one-hot indicators of categorical columns (a value outside the declared categories, as a
  null, drops the row: it has no public encoding);
* a categorical target as class indices (binary: 1 for ``positive``, else 0).

A row with a null (or NaN) in any model column is dropped: a row-level filter, 1-stable
like ``where``. How many rows were dropped is never reported (it is not a DP fact).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from sandbox.engine.derived import Derived
from sandbox.engine.filters import Filter
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.models.selection import ModelSpec
from sandbox.engine.partials import Fragment, read_fragment
from sandbox.engine.shape import apply_shape, source_columns

Arrays = tuple[npt.NDArray[numpy.float64], npt.NDArray[numpy.float64] | None]


def stored_columns(spec: ModelSpec, derived: Sequence[Derived], where: Filter | None) -> list[str]:
    """The stored columns to read: the model's own and what the shape computes from."""
    names = {d.name for d in derived}
    wanted = [c for c in spec.sources if c not in names]
    wanted += [c for c in source_columns(derived, where) if c not in names]
    return list(dict.fromkeys(wanted))


def _floats(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[numpy.float64]:
    values = pc.cast(column, pa.float64())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    out: npt.NDArray[numpy.float64] = values.to_numpy(zero_copy_only=False).astype(numpy.float64)
    return out


def _indicator(
    column: pa.ChunkedArray, value: Any, categories: Sequence[Any]
) -> npt.NDArray[numpy.float64]:
    """1.0 where ``column`` is ``value``, 0.0 at another declared category, NaN otherwise
    (a null, or a value outside the declared categories).
    """
    if pa.types.is_dictionary(column.type):  # derived columns come dictionary-encoded
        column = pc.cast(column, column.type.value_type)
    declared = pc.fill_null(pc.is_in(column, value_set=pa.array(categories, column.type)), False)
    equal = pc.fill_null(pc.equal(column, pa.scalar(value, column.type)), False)
    hits = _floats(pc.cast(equal, pa.float64()))
    return numpy.where(_floats(pc.cast(declared, pa.float64())) > 0, hits, numpy.nan)


def fragment_arrays(
    filesystem: pafs.FileSystem,
    fragment: Fragment,
    spec: ModelSpec,
    derived: tuple[Derived, ...],
    where: Filter | None,
) -> Arrays:
    """One fragment's clipped feature matrix and target (rows with a null dropped)."""
    table = read_fragment(filesystem, fragment, stored_columns(spec, derived, where))
    table, keep = apply_shape(table, derived, where)
    if keep is not None:
        table = table.filter(keep)
    rows = table.num_rows
    matrix = numpy.empty((rows, len(spec.features)), dtype=numpy.float64)
    for index, feature in enumerate(spec.features):
        column = table[feature.source]
        if feature.category is None:
            low, high = feature.bounds
            matrix[:, index] = numpy.clip(_floats(column), low, high)
        else:
            matrix[:, index] = _indicator(column, feature.category, feature.categories)
    valid = ~numpy.isnan(matrix).any(axis=1) if len(spec.features) else numpy.ones(rows, bool)
    # A one-hot column with the reference level dropped still needs its value declared.
    for source in {f.source for f in spec.features if f.category is not None}:
        categories = next(f.categories for f in spec.features if f.source == source)
        valid &= ~numpy.isnan(_indicator(table[source], categories[0], categories))
    target: npt.NDArray[numpy.float64] | None = None
    if spec.target is not None:
        column = table[spec.target]
        if spec.target_bounds is not None:
            low, high = spec.target_bounds
            target = numpy.clip(_floats(column), low, high)
        elif spec.positive is not None:
            target = _indicator(column, spec.positive, spec.target_categories)
        else:
            categories = spec.target_categories
            target = numpy.full(rows, numpy.nan)
            for index, category in enumerate(categories):
                target[_indicator(column, category, categories) == 1.0] = float(index)
        valid &= ~numpy.isnan(target)
        target = target[valid]
    return matrix[valid], target


def model_input(parts: Sequence[Arrays], spec: ModelSpec, rows_per_unit: int) -> ModelInput:
    """The fitter's input from every fragment's arrays."""
    width = len(spec.features)
    features = (
        numpy.concatenate([p[0] for p in parts]) if parts else numpy.empty((0, width))
    ).astype(numpy.float64)
    target: npt.NDArray[Any] | None = None
    if spec.target is not None:
        pieces = [p[1] for p in parts if p[1] is not None]
        joined = numpy.concatenate(pieces) if pieces else numpy.empty(0)
        target = joined if spec.target_bounds is not None else joined.astype(numpy.int64)
    return ModelInput(
        features=features,
        feature_names=tuple(f.name for f in spec.features),
        feature_bounds=tuple(f.bounds for f in spec.features),
        rows_per_unit=rows_per_unit,
        target=target,
        target_name=spec.target,
        target_bounds=spec.target_bounds,
        classes=spec.classes,
    )
