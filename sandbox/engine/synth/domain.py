"""The public, discrete domain a synthetic table is generated over.

MST works on discrete attributes. Each requested column becomes one attribute whose values
are public and fixed before any row is read:

- a categorical column: its declared categories (a boolean: ``False``, ``True``);
- a derived column (``bin``, ``map``, ``date_part``): its own public categories;
- a numeric column: ``bins`` equal-width bins between its declared bounds, or the public
  bounds the call gives (``bounds={"age": [0, 100]}``; an ``int64``
  column whose declared range has at most ``bins`` integers: one bin per integer). A
  synthetic value is drawn uniformly within its bin (an integer column: a uniform integer of
  the bin), so the released values are spread like the bins' noisy counts, never copied
  from a row.

A row whose value lies outside the domain (null, an undeclared category, a number outside
the declared bounds) is left out of every marginal: the domain is the same for every
dataset, so leaving a row out depends on that row alone and costs no privacy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sandbox.catalog.dictionary import Classification, ColumnSpec, ColumnType, DataDictionary
from sandbox.engine.derived import Binned, Derived
from sandbox.engine.shape import Shape
from sandbox.engine.validation import InvalidQuery, column_name, key_column_allowed, number_of

__all__ = [
    "DEFAULT_BINS",
    "MAX_BINS",
    "MAX_COLUMNS",
    "MAX_PAIR_CELLS",
    "Attribute",
    "SynthDomain",
    "bins_of",
    "bounds_of",
    "synth_domain",
]

DEFAULT_BINS = 10
"""Bins of a numeric column unless the call says otherwise."""
MAX_BINS = 64
"""Most bins of one numeric column (and most categories of any attribute's 2-way table)."""
MAX_COLUMNS = 16
"""Most columns one synthetic table may have (MST scores every pair of them)."""
MAX_PAIR_CELLS = 1 << 16
"""Most cells of one 2-way marginal (the largest table MST measures)."""
MAX_CATEGORIES = 1024
"""Most values of one categorical attribute."""
_PREFIX = "#synth:"
"""Internal name of a numeric column's bin index (a data column cannot start with '#')."""


@dataclass(frozen=True)
class Attribute:
    """One column of the synthetic table, as a discrete attribute.

    Attributes:
        name: The output column's name.
        key: The column the joint counts are grouped by (the column itself, or an
            internal bin column of a numeric one).
        values: The public values of a categorical attribute, in code order.
        edges: The public bin edges of a numeric attribute (``None`` for a categorical one).
        integer: Whether a numeric attribute's synthetic values are integers.
    """

    name: str
    key: str
    values: tuple[Any, ...] | None = None
    edges: tuple[float, ...] | None = None
    integer: bool = False

    @property
    def size(self) -> int:
        """How many discrete values the attribute has."""
        if self.edges is not None:
            return len(self.edges) - 1
        assert self.values is not None
        return len(self.values)

    def describe(self) -> dict[str, Any]:
        """The attribute's public domain, for the release report."""
        if self.edges is not None:
            return {"column": self.name, "kind": "numeric", "edges": list(self.edges)}
        assert self.values is not None
        return {"column": self.name, "kind": "categorical", "categories": list(self.values)}

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> list[Any]:
        """Synthetic values of the attribute for ``codes`` (indices into its domain).

        Numeric: a uniform draw within the bin (integers: a uniform integer of the bin,
        whose last bin includes its upper edge). Post-processing of the synthetic codes:
        the draw reads no data.
        """
        if self.edges is None:
            assert self.values is not None
            return [self.values[int(c)] for c in codes]
        edges = np.asarray(self.edges, dtype=np.float64)
        low, high = edges[codes], edges[codes + 1]
        if self.integer:
            last = len(self.edges) - 2
            first = np.ceil(low)
            top = np.where(codes == last, np.floor(high), np.ceil(high) - 1)
            top = np.maximum(top, first)
            drawn = first + np.floor(rng.random(len(codes)) * (top - first + 1))
            return [int(v) for v in np.minimum(drawn, top)]
        return [float(v) for v in low + rng.random(len(codes)) * (high - low)]


@dataclass(frozen=True)
class SynthDomain:
    """The attributes of a synthetic table and the derived columns that compute them."""

    attributes: tuple[Attribute, ...]
    derived: tuple[Derived, ...]
    """The shape's derived columns plus one bin column per numeric attribute."""

    @property
    def shape(self) -> tuple[int, ...]:
        """Sizes of the attributes, in order."""
        return tuple(a.size for a in self.attributes)

    @property
    def names(self) -> tuple[str, ...]:
        """Output column names, in order."""
        return tuple(a.name for a in self.attributes)

    def describe(self) -> list[dict[str, Any]]:
        """Every attribute's public domain (the report's ``bins``)."""
        return [a.describe() for a in self.attributes]


def _columns_of(columns: object) -> list[str]:
    if type(columns) not in (list, tuple) or not columns:
        raise InvalidQuery("synthesize(): columns must be a non-empty list of column names")
    names = [column_name(c, "synthesize(): a column") for c in columns]  # type: ignore[attr-defined]
    if len(names) > MAX_COLUMNS:
        raise InvalidQuery(f"synthesize(): at most {MAX_COLUMNS} columns")
    if len(set(names)) != len(names):
        raise InvalidQuery("synthesize(): a column is named twice")
    return names


def bins_of(value: object) -> int:
    """The bins of every numeric column: an integer from 2 to :data:`MAX_BINS`."""
    if value is None:
        return DEFAULT_BINS
    if type(value) is not int or not 2 <= value <= MAX_BINS:
        raise InvalidQuery(f"synthesize(): bins must be an integer from 2 to {MAX_BINS}")
    return value


def bounds_of(value: object) -> dict[str, tuple[float, float]]:
    """Public bounds given with the call: ``{column: [lower, upper]}`` (or nothing)."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise InvalidQuery("synthesize(): bounds must map column names to [lower, upper]")
    found: dict[str, tuple[float, float]] = {}
    for name, pair in value.items():
        text = column_name(name, "synthesize(): a bounds key")
        if type(pair) not in (list, tuple) or len(pair) != 2:
            raise InvalidQuery(f"synthesize(): bounds of {text!r} must be [lower, upper]")
        low = number_of(pair[0], f"synthesize(): the lower bound of {text!r}")
        high = number_of(pair[1], f"synthesize(): the upper bound of {text!r}")
        found[text] = (low, high)
    return found


def _numeric_edges(
    spec: ColumnSpec, bins: int, given: tuple[float, float] | None
) -> tuple[tuple[float, ...], bool]:
    if given is not None:
        lower, upper = given
    elif spec.lower is None or spec.upper is None:
        raise InvalidQuery(
            f"synthesize(): numeric column {spec.name!r} has no declared bounds in the data "
            "dictionary; give bounds={column: [lower, upper]} or bin() it first"
        )
    else:
        lower, upper = float(spec.lower), float(spec.upper)
    if not lower < upper:
        raise InvalidQuery(f"synthesize(): column {spec.name!r} has an empty declared range")
    integer = spec.type is ColumnType.INT64
    if integer:
        first, last = math.ceil(lower), math.floor(upper)
        if last - first + 1 <= bins:
            return _integer_edges(first, last), True
    step = (upper - lower) / bins
    cut = [lower + step * i for i in range(bins)] + [upper]
    return tuple(cut), integer


def _integer_edges(first: int, last: int) -> tuple[float, ...]:
    """Edges of one bin per integer: ``[v - 0.5, v + 0.5)`` around each of them."""
    return tuple(v - 0.5 for v in range(first, last + 1)) + (last + 0.5,)


def synth_domain(
    dictionary: DataDictionary,
    shape: Shape,
    columns: object,
    bins: object,
    bounds: object = None,
) -> SynthDomain:
    """The domain of a synthetic table of ``columns`` (see the module docstring).

    Raises:
        InvalidQuery: A column is unknown, an identifier, a sensitive categorical column,
            a date, a numeric column without declared bounds, or the domain is too large.
    """
    names = _columns_of(columns)
    count = bins_of(bins)
    given = bounds_of(bounds)
    unused = sorted(set(given) - set(names))
    if unused:
        raise InvalidQuery(f"synthesize(): bounds name columns not synthesized: {unused}")
    derived = {d.name: d for d in shape.derived}
    attributes: list[Attribute] = []
    extra: list[Derived] = []
    for name in names:
        if name in derived:
            if name in given:
                raise InvalidQuery(f"synthesize(): column {name!r} is derived: it takes no bounds")
            values = tuple(derived[name].categories)
            attributes.append(_categorical(name, values))
            continue
        spec = dictionary.by_name.get(name)
        if spec is None:
            raise InvalidQuery(f"the dataset has no column {name!r}")
        if spec.classification is Classification.IDENTIFIER:
            raise InvalidQuery(f"column {name!r} is an identifier: it cannot be synthesized")
        if spec.type.is_numeric:
            edges, integer = _numeric_edges(spec, count, given.get(name))
            key = _PREFIX + name
            labels = tuple(str(i) for i in range(len(edges) - 1))
            extra.append(Binned(key, name, edges, labels))
            attributes.append(Attribute(name, key, labels, edges, integer))
            continue
        if name in given:
            raise InvalidQuery(f"synthesize(): column {name!r} is not numeric: it takes no bounds")
        key_column_allowed(spec)
        if spec.categories is not None:
            attributes.append(_categorical(name, tuple(spec.categories)))
        elif spec.type is ColumnType.BOOL:
            attributes.append(_categorical(name, (False, True)))
        else:
            raise InvalidQuery(
                f"synthesize(): column {name!r} has no declared categories; map() it onto "
                "public categories or date_part() a date first"
            )
    sizes = sorted((a.size for a in attributes), reverse=True)
    if len(sizes) > 1 and sizes[0] * sizes[1] > MAX_PAIR_CELLS:
        raise InvalidQuery(
            f"synthesize(): two columns' joint table would have {sizes[0] * sizes[1]} cells, "
            f"more than {MAX_PAIR_CELLS}; choose fewer bins or coarser categories"
        )
    return SynthDomain(tuple(attributes), (*shape.derived, *extra))


def _categorical(name: str, values: Sequence[Any]) -> Attribute:
    if not values:
        raise InvalidQuery(f"synthesize(): column {name!r} has no public values")
    if len(values) > MAX_CATEGORIES:
        raise InvalidQuery(
            f"synthesize(): column {name!r} has more than {MAX_CATEGORIES} categories"
        )
    return Attribute(name, name, tuple(values))
