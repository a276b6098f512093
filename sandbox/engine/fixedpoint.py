"""Fixed-point quantisation: numeric values become exact int64 grid units before any sum.

Floats are never summed. A value is clamped to ``[lower, upper]``, divided by a power-of-two
``step`` and rounded to an integer (half to even): its *raw units*. A grid may then shift
the raw units by a constant integer ``offset_units`` (zero for sums, the midpoint's raw
units for means and variances): ``units = raw - offset_units``. The step depends only on
the bounds (``max(|lower|, |upper|)``), so every raw unit has magnitude at most ``2**30``:
sums of up to ``2**32`` rows cannot overflow int64 (partial sums are combined as Python
integers anyway).

Shared grid (one pass for several releases): a bounded sum and a mean or variance with the
same ``(lower, upper)`` use the same step, so they read the same raw units, and the centred
sum of a group is derived exactly from the raw one: ``sum(raw - k) = sum(raw) - k * n``
with ``n`` the group's number of values. This keeps the sensitivity analysis correct
because the sensitivity is always computed from the units the release actually sums:

- every operation (clamp, divide by a power of two, round, subtract an integer) is
  monotone, so the largest magnitude of ``units`` over ``[lower, upper]`` is reached at a
  bound, and :attr:`Grid.max_units` quantises the two bounds with the very same code;
- for a sum, ``offset_units = 0`` and the per-row sensitivity is
  ``max(|raw(lower)|, |raw(upper)|)`` (OpenDP's bounded-sum rule, not ``upper - lower``);
- for a mean or variance, the per-row sensitivity of the centred sum is
  ``max(|raw(lower) - k|, |raw(upper) - k|)``, about half the range in grid units, which
  is exactly what the derived centred sum can move by when one row is added or removed.

Squares (variance only) are quantised from the shifted value, ``(clamped - offset)**2``,
on their own power-of-two ``square_step``; they depend on the offset and are never shared
with a differently centred grid.
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
        return 2.0**-GRID_BITS
    return 2.0 ** (math.ceil(math.log2(magnitude)) - GRID_BITS)


@dataclass(frozen=True)
class Grid:
    """How the values of one numeric aggregate are clamped and quantised."""

    lower: float
    upper: float
    offset: float
    """The value subtracted: ``offset_units * step`` (0 for sums; about the midpoint for
    means and variances)."""
    step: float
    """Grid step of the values (a power of two); depends only on the bounds."""
    square_step: float
    """Grid step of the squared (shifted) values (a power of two)."""
    offset_units: int = 0
    """Integer subtracted from the raw units (``offset / step``)."""

    @classmethod
    def for_sum(cls, lower: float, upper: float) -> Grid:
        """A grid for a plain bounded sum: no shift, so the sum needs no row count."""
        return cls._make(lower, upper, 0)

    @classmethod
    def centred(cls, lower: float, upper: float) -> Grid:
        """A grid centred on (the grid point nearest) the midpoint, for means and variances.

        Same step as :meth:`for_sum` on the same bounds, so both share the raw units.
        """
        step = _step_for(max(abs(lower), abs(upper)))
        return cls._make(lower, upper, round((lower / 2.0 + upper / 2.0) / step))

    @classmethod
    def _make(cls, lower: float, upper: float, offset_units: int) -> Grid:
        step = _step_for(max(abs(lower), abs(upper)))
        offset = float(offset_units) * step  # exact: an integer times a power of two
        magnitude = max(abs(lower - offset), abs(upper - offset))
        return cls(lower, upper, offset, step, _step_for(magnitude * magnitude), int(offset_units))

    @property
    def raw_key(self) -> tuple[float, float, float]:
        """What the raw units depend on: grids with equal keys share their raw sums."""
        return (self.lower, self.upper, self.step)

    def quantise(self, values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
        """(units, square units) of ``values`` (float64, nulls and NaN already removed)."""
        clamped = pc.min_element_wise(pc.max_element_wise(values, self.lower), self.upper)
        raw = pc.cast(pc.round(pc.divide(clamped, self.step)), pa.int64())
        units = pc.subtract(raw, self.offset_units) if self.offset_units else raw
        shifted = pc.subtract(clamped, self.offset) if self.offset else clamped
        squares = pc.cast(
            pc.round(pc.divide(pc.multiply(shifted, shifted), self.square_step)), pa.int64()
        )
        return units, squares

    def raw_numpy(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(clamped values, raw units as integral float64) of usable float64 ``values``.

        Bit for bit what :meth:`quantise` computes (the same IEEE operations; ``np.rint``
        rounds half to even like ``pc.round``): a test checks the two agree.
        """
        clamped = np.clip(values, self.lower, self.upper)
        raw = _divide_by_power_of_two(clamped, self.step)
        np.rint(raw, out=raw)
        return clamped, raw

    def squares_numpy(self, clamped: np.ndarray) -> np.ndarray:
        """Square units (integral float64) of clamped values, as :meth:`quantise` has them."""
        shifted = clamped - self.offset if self.offset else clamped.copy()
        np.multiply(shifted, shifted, out=shifted)
        shifted = _divide_by_power_of_two(shifted, self.square_step, out=shifted)
        np.rint(shifted, out=shifted)
        return shifted

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


def _divide_by_power_of_two(
    values: np.ndarray, step: float, out: np.ndarray | None = None
) -> np.ndarray:
    """``values / step`` for a power-of-two ``step``, as a multiplication when ``1 / step``
    is exact: both then round the same real number, so the results are bit for bit equal
    (and multiplying is faster).
    """
    reciprocal = 1.0 / step
    if math.isfinite(reciprocal) and reciprocal * step == 1.0 and math.frexp(reciprocal)[0] == 0.5:
        product: np.ndarray = np.multiply(values, reciprocal, out=out)
        return product
    quotient: np.ndarray = np.divide(values, step, out=out)
    return quotient
