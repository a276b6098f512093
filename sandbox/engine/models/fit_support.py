"""What the k-means, PCA and naive Bayes fitters share: parameter checks, centring, counts.

These fitters claim epsilon-DP for *adding or removing one row* (the engine's neighbouring
relation: a privacy unit is added or removed, and its at most ``rows_per_unit`` rows are
covered by group privacy). diffprivlib calibrates most of its models for *replacing* one
row of a dataset whose size is public; two of its sensitivities (a sum over a cluster or a
class, ``upper - lower`` per coordinate) hold for adding a row only when every value lies
within ``upper - lower`` of zero. Centring every feature at the midpoint of its public
bounds makes that true with room to spare (``|x - mid| <= (upper - lower) / 2``), so the
fitters hand diffprivlib centred data and shift the released location parameters back.

Counts the fitters release (cluster sizes, class counts, the rows behind a mean) are
noised with OpenDP's discrete Laplace (exact integer sampling, no floating-point attack
surface), through the engine's own calibration.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy
import numpy.typing as npt

from sandbox.engine.measurements import integer_noise
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.validation import InvalidQuery
from sandbox.errors import SandboxInternalError
from sandbox.policies.budget import Accounting

Floats = npt.NDArray[numpy.float64]


@contextmanager
def strict_library() -> Iterator[None]:
    """The library's PrivacyLeakWarning (it looked at the data's range) as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", diffprivlib.utils.PrivacyLeakWarning)
        yield


def check_epsilon(epsilon: float) -> float:
    """The per-row epsilon: a positive finite number (the engine has checked the charge)."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float):
        raise InvalidQuery("epsilon must be a positive number")
    value = float(epsilon)
    if not math.isfinite(value) or value <= 0.0:
        raise InvalidQuery(f"epsilon must be a positive finite number, got {epsilon!r}")
    return value


def integer_parameter(call: str, name: str, value: object, *, low: int, high: int) -> int:
    """An integer parameter in ``[low, high]``, or a typed error naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuery(f"{call}(): {name} must be an integer from {low} to {high}")
    if not low <= value <= high:
        raise InvalidQuery(f"{call}(): {name} must be from {low} to {high}, got {value}")
    return value


def share_parameter(call: str, name: str, value: object, *, high: float) -> float:
    """A share of epsilon in ``(0, high]``, or a typed error naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidQuery(f"{call}(): {name} must be a number in (0, {high}]")
    share = float(value)
    if not math.isfinite(share) or not 0.0 < share <= high:
        raise InvalidQuery(f"{call}(): {name} must be in (0, {high}], got {value!r}")
    return share


def only_parameters(call: str, params: Mapping[str, object], allowed: Sequence[str]) -> None:
    """Refuse a parameter the family does not take, naming it and the ones it takes."""
    for name in params:
        if name not in allowed:
            raise InvalidQuery(
                f"{call}(): unknown parameter {name!r} (this model takes: {', '.join(allowed)})"
            )


def check_features(data: ModelInput, call: str) -> tuple[Floats, Floats]:
    """The public lower and upper bounds of the features, checked against the matrix shape."""
    names, bounds = data.feature_names, data.feature_bounds
    if not names:
        raise InvalidQuery(f"{call}() needs at least one numeric feature column")
    if len(bounds) != len(names):
        raise InvalidQuery(f"{call}(): {len(names)} features but {len(bounds)} bounds")
    if data.features.ndim != 2 or data.features.shape[1] != len(names):
        raise InvalidQuery(f"{call}(): the feature matrix does not have {len(names)} columns")
    for name, (lower, upper) in zip(names, bounds, strict=True):
        if not (math.isfinite(lower) and math.isfinite(upper)) or not lower < upper:
            raise InvalidQuery(
                f"{call}(): the bounds of feature {name!r} must be finite with lower < upper, "
                f"got ({lower!r}, {upper!r})"
            )
    lower_array = numpy.array([b[0] for b in bounds], dtype=numpy.float64)
    upper_array = numpy.array([b[1] for b in bounds], dtype=numpy.float64)
    return lower_array, upper_array


def centred(data: ModelInput, lower: Floats, upper: Floats) -> tuple[Floats, Floats, Floats]:
    """The features clipped to their bounds and centred at the midpoints.

    Returns the centred matrix, the midpoints and the half-widths: every centred value lies
    in ``[-half, half]``. Clipping again is a no-op for engine input and a guarantee for
    any other caller.
    """
    middle = (lower + upper) / 2.0
    half = (upper - lower) / 2.0
    clipped = numpy.clip(numpy.asarray(data.features, dtype=numpy.float64), lower, upper)
    return clipped - middle, middle, half


def noisy_counts(counts: npt.NDArray[Any], epsilon: float) -> list[int]:
    """A histogram's counts with OpenDP's discrete Laplace for L1 sensitivity 1, at least 0.

    Adding or removing one row changes one count by one, so the vector costs ``epsilon``.
    The floor at zero is post-processing.
    """
    calibrated = integer_noise(Accounting.PURE, 1, Fraction(epsilon))
    noisy = calibrated([int(c) for c in counts])
    return [max(0, int(value)) for value in noisy]


SIGNIFICANT_DIGITS = 10
"""Released floats keep this many significant digits (as the regressions' do)."""


def released(value: float) -> float:
    """A DP output as it leaves: finite, rounded to :data:`SIGNIFICANT_DIGITS` digits.

    Post-processing; it also drops the lowest bits of the library's floating-point noise,
    where a Mironov-style attack on a naive sampler looks (a mitigation, not a proof).
    """
    if not math.isfinite(value) or value == 0.0:
        return 0.0
    digits = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))
    return float(round(value, digits))


def float_list(values: npt.NDArray[Any]) -> list[Any]:
    """A numpy array as nested lists of released floats (JSON-able, rounded: see ``released``)."""
    array = numpy.asarray(values, dtype=numpy.float64)
    if array.ndim == 0:
        raise SandboxInternalError("float_list needs an array")
    if array.ndim == 1:
        return [released(float(v)) for v in array]
    return [float_list(row) for row in array]
