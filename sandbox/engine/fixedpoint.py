"""Fixed-point quantisation: numeric values become exact int64 grid units before any sum.

Floats are never summed. A value is clamped to ``[lower, upper]``, shifted by ``offset``
(zero for sums, the midpoint for means and variances), divided by a power-of-two ``step``
and rounded to an integer. The step is chosen from the bounds so every quantised value has
magnitude at most ``2**30``: sums of up to ``2**32`` rows cannot overflow int64 (partial
sums are combined as Python integers anyway).

Every operation is monotone (clamp, subtract a constant, divide by a power of two, round),
so the largest quantised magnitude over ``[lower, upper]`` is reached at a bound; the
sensitivity is computed by quantising the bounds with the very same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GRID_BITS = 30
"""Quantised magnitudes are at most ``2**GRID_BITS``."""


def _step_for(magnitude: float) -> float:
    if magnitude <= 0 or not math.isfinite(magnitude):
        return 2.0 ** -GRID_BITS
    return 2.0 ** (math.ceil(math.log2(magnitude)) - GRID_BITS)


@dataclass(frozen=True)
class Grid:
    """How the values of one numeric aggregate are clamped and quantised."""

    lower: float
    upper: float
    offset: float
    """Subtracted after clamping (0 for sums; the midpoint for means and variances)."""
    step: float
    """Grid step of the values (a power of two)."""
    square_step: float
    """Grid step of the squared (shifted) values (a power of two)."""

    @classmethod
    def for_sum(cls, lower: float, upper: float) -> Grid:
        """A grid for a plain bounded sum: no shift, so the sum needs no row count."""
        return cls._make(lower, upper, 0.0)

    @classmethod
    def centred(cls, lower: float, upper: float) -> Grid:
        """A grid centred on the midpoint, for means and variances."""
        return cls._make(lower, upper, lower / 2.0 + upper / 2.0)

    @classmethod
    def _make(cls, lower: float, upper: float, offset: float) -> Grid:
        magnitude = max(abs(lower - offset), abs(upper - offset))
        return cls(lower, upper, offset, _step_for(magnitude), _step_for(magnitude * magnitude))

    def quantise(self, values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
        """(units, square units) of ``values`` (float64, nulls and NaN already removed)."""
        clamped = pc.min_element_wise(pc.max_element_wise(values, self.lower), self.upper)
        shifted = pc.subtract(clamped, self.offset) if self.offset else clamped
        units = pc.cast(pc.round(pc.divide(shifted, self.step)), pa.int64())
        squares = pc.cast(
            pc.round(pc.divide(pc.multiply(shifted, shifted), self.square_step)), pa.int64()
        )
        return units, squares

    def _bound_units(self) -> tuple[list[int], list[int]]:
        units, squares = self.quantise(pa.array([self.lower, self.upper], pa.float64()))
        return units.to_pylist(), squares.to_pylist()

    @property
    def max_units(self) -> int:
        """Largest magnitude of a quantised value: the per-row sensitivity of a sum (>= 1)."""
        units, _ = self._bound_units()
        return max(1, max(abs(u) for u in units))

    @property
    def max_square_units(self) -> int:
        """Largest quantised square: the per-row sensitivity of a sum of squares (>= 1)."""
        _, squares = self._bound_units()
        return max(1, max(squares))

    def value_of(self, units: int) -> float:
        """A (noisy) sum of units back in value units, without the offset."""
        return float(units) * self.step

    def square_value_of(self, units: int) -> float:
        """A (noisy) sum of square units back in squared value units."""
        return float(units) * self.square_step


def clean_values(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The non-null, non-NaN values of a numeric column as float64."""
    values = pc.cast(column, pa.float64())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    mask = pc.and_(pc.is_valid(values), pc.invert(pc.is_nan(values)))
    mask = pc.fill_null(mask, False)
    return pc.filter(values, mask)


def values_mask(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Which rows of a numeric column hold a usable value (not null, not NaN)."""
    values = pc.cast(column, pa.float64())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return pc.fill_null(pc.and_(pc.is_valid(values), pc.invert(pc.is_nan(values))), False)


def as_numpy(array: pa.Array) -> np.ndarray:
    """A float64 numpy view of a null-free array."""
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
