"""What the regression fitters share: public rescaling, library calls, released numbers.

Both regressions rescale every column by its *public* bounds to [-1, 1] before calling
diffprivlib, and map the coefficients back afterwards. The map depends only on the bounds,
so it costs no privacy; it is what keeps the library's own sensitivity formulas exact (see
:mod:`sandbox.engine.models.linear`) and gives logistic regression its row norm.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy
import numpy.typing as npt

from sandbox.engine.validation import InvalidQuery, number_of

T = TypeVar("T")

SIGNIFICANT_DIGITS = 10
"""Released numbers are rounded to this many significant digits (see :func:`released`)."""


def library() -> str:
    """``diffprivlib <version>``, as the report names it."""
    from sandbox.engine.models.diffprivlib_compat import VERSION

    return f"diffprivlib {VERSION}"


@contextmanager
def strict_library() -> Iterator[None]:
    """Run diffprivlib with its privacy-leak warning as an error (never let it look at
    the data's range) and its convergence chatter silenced (a warning is not released).
    """
    from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]

    from sandbox.engine.models.diffprivlib_compat import diffprivlib

    leak: type[Warning] = diffprivlib.utils.PrivacyLeakWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", leak)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # diffprivlib's logistic path passes L-BFGS-B's deprecated ``iprint``.
        warnings.filterwarnings("ignore", "scipy.optimize: The `disp`", DeprecationWarning)
        yield


def rescaled(
    values: npt.NDArray[numpy.float64],
    bounds: Sequence[tuple[float, float]],
    out: npt.NDArray[numpy.float64] | None = None,
) -> tuple[npt.NDArray[numpy.float64], npt.NDArray[numpy.float64], npt.NDArray[numpy.float64]]:
    """``values`` mapped column by column from ``bounds`` onto [-1, 1] (into ``out`` when
    given, a view the caller allocated: no other copy is made), with the public midpoints
    and half-widths of the map. A zero width maps to 0 (its values all equal the midpoint).
    """
    low = numpy.array([b[0] for b in bounds], dtype=numpy.float64).reshape(-1)
    high = numpy.array([b[1] for b in bounds], dtype=numpy.float64).reshape(-1)
    middle = (low + high) / 2
    half = (high - low) / 2
    safe = numpy.where(half > 0, half, 1.0)
    target = numpy.empty_like(values, dtype=numpy.float64) if out is None else out
    numpy.subtract(values, middle, out=target)
    numpy.divide(target, safe, out=target)
    numpy.clip(target, -1.0, 1.0, out=target)
    return target, middle, safe


def released(value: float) -> float:
    """A DP output as it leaves: finite, rounded to :data:`SIGNIFICANT_DIGITS` digits.

    Rounding is post-processing; it also hides the lowest bits of the library's floating-
    point noise, which is where a Mironov-style attack looks (a mitigation, not a proof:
    see docs/dp-models.md).
    """
    if not math.isfinite(value):
        return 0.0
    if value == 0:
        return 0.0
    digits = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))
    return float(round(value, digits))


def by_name(names: Sequence[str], values: Sequence[float] | npt.NDArray[Any]) -> dict[str, float]:
    """Released values keyed by feature name."""
    return {name: released(float(v)) for name, v in zip(names, values, strict=True)}


def number_param(
    params: Mapping[str, object],
    name: str,
    default: float,
    low: float,
    high: float,
    *,
    call: str,
    integer: bool = False,
) -> float:
    """A family parameter within ``[low, high]`` (an integer if asked), else a refusal."""
    value = params.get(name, default)
    if integer and type(value) is not int:
        raise InvalidQuery(f"{call}(): {name} must be an integer")
    number = number_of(value, name)
    if not low <= number <= high:
        raise InvalidQuery(f"{call}(): {name} must be between {low:g} and {high:g}")
    return number


def only(params: Mapping[str, object], allowed: Sequence[str], call: str) -> None:
    """Refuse a parameter the family does not take, naming it."""
    for name in params:
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise InvalidQuery(f"{call}(): unknown parameter {name!r} (this model takes: {known})")


def with_library(run: Callable[[], T]) -> T:
    """``run()`` under :func:`strict_library`."""
    with strict_library():
        return run()


def as_floats(values: Any) -> npt.NDArray[numpy.float64]:
    """A library output as a flat float64 array."""
    return numpy.asarray(values, dtype=numpy.float64).reshape(-1)
