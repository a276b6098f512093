"""Strict validation of every argument of a DP query, before anything is charged or read.

Every refusal is an :class:`InvalidQuery` (an :class:`~sandbox.errors.InvalidRequest`) whose
message names the argument or column at fault and never quotes a data value. Numbers are
accepted only as ``int``, ``float``, ``Decimal`` or ``Fraction`` of exactly those types: a
subclass (say a float whose value changes between reads), a ``bool``, a string or any
other object is refused without being asked for its value.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from sandbox.catalog.dictionary import Classification, ColumnSpec, ColumnType, DataDictionary
from sandbox.errors import InvalidRequest
from sandbox.policies.budget import parse_delta, parse_epsilon

MAX_BOUND = float(2**52)
"""Largest magnitude of a bound: beyond it float64 no longer holds every integer."""
MAX_KEYS = 8
MAX_BINS = 1000
KEY_TYPES = (ColumnType.STRING, ColumnType.INT64, ColumnType.BOOL, ColumnType.DATE)
RESERVED_OUTPUT_NAMES = frozenset(
    {
        "count",
        "sum",
        "mean",
        "variance",
        "quantile",
        "bin_lower",
        "bin_upper",
        "min",
        "max",
        "median",
        "count_distinct",
    }
)
_NUMBER_TYPES = (int, float, Decimal, Fraction)


class InvalidQuery(InvalidRequest):
    """A DP query's arguments are wrong; nothing was charged."""

    code = "invalid_query"


def epsilon_of(value: object) -> Fraction:
    """The query's epsilon: required, positive, finite, exact."""
    if value is None:
        raise InvalidQuery("every DP query needs epsilon=<a positive number>")
    try:
        return parse_epsilon(value)
    except InvalidQuery:
        raise
    except InvalidRequest as exc:
        raise InvalidQuery(exc.message) from None


def delta_of(value: object) -> Fraction | None:
    """The query's delta, if given: in [0, 1), exact."""
    if value is None:
        return None
    try:
        return parse_delta(value)
    except InvalidRequest as exc:
        raise InvalidQuery(exc.message) from None


def number_of(value: object, label: str) -> float:
    """A finite number of an exact plain type, as a float."""
    if type(value) not in _NUMBER_TYPES:
        raise InvalidQuery(f"{label} must be a number, not a {type(value).__name__}")
    try:
        if isinstance(value, Decimal) and not value.is_finite():
            raise InvalidQuery(f"{label} must be finite")
        result = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise InvalidQuery(f"{label} is too large") from None
    if not math.isfinite(result):
        raise InvalidQuery(f"{label} must be finite")
    return result


def bounds_of(lower: object, upper: object, what: str) -> tuple[float, float]:
    """Explicit, finite, ordered bounds."""
    if lower is None or upper is None:
        raise InvalidQuery(f"{what} needs explicit lower= and upper= bounds")
    low = number_of(lower, "lower")
    high = number_of(upper, "upper")
    for label, bound in (("lower", low), ("upper", high)):
        if abs(bound) > MAX_BOUND:
            raise InvalidQuery(f"{label} must be within +/- 2**52")
    if low > high:
        raise InvalidQuery("lower must not be above upper")
    return low, high


def quantile_of(value: object) -> Fraction:
    """A quantile level in [0, 1], exact."""
    number = number_of(value, "q")
    if not 0.0 <= number <= 1.0:
        raise InvalidQuery("q must be between 0 and 1")
    return Fraction(number)


def column_name(value: object, label: str = "column") -> str:
    """A column argument must be a plain string."""
    if type(value) is not str:
        raise InvalidQuery(
            f"{label} must be a column name (a string), not a {type(value).__name__}"
        )
    return value


def column_of(
    dictionary: DataDictionary, name: object, *, numeric: bool, label: str = "column"
) -> ColumnSpec:
    """An existing column, numeric if asked, never an identifier."""
    text = column_name(name, label)
    spec = dictionary.by_name.get(text)
    if spec is None:
        raise InvalidQuery(f"the dataset has no column {text!r}")
    if spec.classification is Classification.IDENTIFIER:
        raise InvalidQuery(f"column {text!r} is an identifier: it cannot be aggregated")
    if numeric and not spec.type.is_numeric:
        raise InvalidQuery(f"column {text!r} is {spec.type}, not numeric")
    return spec


def key_column_allowed(spec: ColumnSpec) -> None:
    """Refuse keys whose values must never be released."""
    if spec.classification in (Classification.IDENTIFIER, Classification.SENSITIVE):
        raise InvalidQuery(
            f"column {spec.name!r} is classified {spec.classification}: its values are "
            "never released, so it cannot be a group key"
        )
    if spec.type not in KEY_TYPES:
        raise InvalidQuery(
            f"column {spec.name!r} is {spec.type}: group keys must be string, "
            "int64, bool or date columns"
        )
    if spec.name in RESERVED_OUTPUT_NAMES:
        raise InvalidQuery(
            f"column {spec.name!r} clashes with an output column name and cannot be a group key"
        )


def bin_edges(bins: object, lower: object, upper: object) -> tuple[float, ...]:
    """Bin edges of a numeric histogram.

    Either a number of equal bins (default 10) between explicit bounds, or the edges
    themselves (strictly increasing) without bounds.
    """
    if bins is None or type(bins) is int:
        count = 10 if bins is None else bins
        assert isinstance(count, int)
        if not 1 <= count <= MAX_BINS:
            raise InvalidQuery(f"bins must be between 1 and {MAX_BINS}")
        low, high = bounds_of(lower, upper, "a numeric histogram")
        if low == high:
            raise InvalidQuery("a numeric histogram needs lower below upper")
        width = (high - low) / count
        return (low, *(low + width * i for i in range(1, count)), high)
    if type(bins) not in (list, tuple):
        raise InvalidQuery("bins must be a number of bins or a list of bin edges")
    if lower is not None or upper is not None:
        raise InvalidQuery("give either bin edges or lower=/upper= with a number of bins")
    edges = tuple(number_of(edge, "a bin edge") for edge in bins)  # type: ignore[attr-defined]
    if not 2 <= len(edges) <= MAX_BINS + 1:
        raise InvalidQuery(f"bins needs between 2 and {MAX_BINS + 1} edges")
    if any(abs(edge) > MAX_BOUND for edge in edges):
        raise InvalidQuery("bin edges must be within +/- 2**52")
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise InvalidQuery("bin edges must be strictly increasing")
    return edges
