"""The aggregates of a DP handle: each call validated into a :class:`~sandbox.engine.plan.Query`.

A dataset handle and a grouped handle offer the same calls; each call only checks its
arguments (:mod:`sandbox.engine.validation`) and hands the query to its dataset handle's
pipeline, so nothing is read or charged for a bad request.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, TypeVar

from sandbox.catalog.dictionary import ColumnSpec
from sandbox.engine.joint import statistics_of, value_statistics
from sandbox.engine.plan import Query
from sandbox.engine.report import Operation, Release
from sandbox.engine.validation import (
    InvalidQuery,
    bin_edges,
    bounds_of,
    column_of,
    delta_of,
    epsilon_of,
    key_column_allowed,
    quantile_of,
)

if TYPE_CHECKING:
    from sandbox.engine.handle import DatasetHandle
    from sandbox.engine.shape import KeyColumn

T = TypeVar("T")

QUANTILE_LEVELS = {
    Operation.MIN: Fraction(0),
    Operation.MAX: Fraction(1),
    Operation.MEDIAN: Fraction(1, 2),
}
"""The quantile each of ``min``, ``max`` and ``median`` is (Tumult Analytics' definitions)."""


def named(operation: str, check: Callable[[], T]) -> T:
    """``check()``, its refusal prefixed with the operation's name (``agg(): ...``)."""
    try:
        return check()
    except InvalidQuery as exc:
        if exc.message.startswith(f"{operation}("):
            raise
        raise InvalidQuery(f"{operation}(): {exc.message}") from None


class Aggregates:
    """The aggregates shared by a dataset handle and a grouped handle."""

    _dataset: DatasetHandle
    _keys: tuple[KeyColumn, ...]
    """Stored or derived key columns (a derived one is a :mod:`sandbox.engine.derived`)."""

    def count(self, *, epsilon: object = None, delta: object = None) -> Release:
        """Noisy number of rows (per group)."""
        query = Query(Operation.COUNT, self._keys, epsilon_of(epsilon), delta_of(delta))
        return self._dataset._run(query)

    def sum(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """Noisy sum of ``column`` clamped to ``[lower, upper]``; nulls add nothing."""
        return self._dataset._run(
            self._numeric(Operation.SUM, column, lower, upper, epsilon, delta)
        )

    def mean(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """Noisy mean of the non-null values of ``column`` clamped to ``[lower, upper]``."""
        return self._dataset._run(
            self._numeric(Operation.MEAN, column, lower, upper, epsilon, delta)
        )

    def variance(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """Noisy (population) variance of the clamped non-null values of ``column``."""
        return self._dataset._run(
            self._numeric(Operation.VARIANCE, column, lower, upper, epsilon, delta)
        )

    def quantile(
        self,
        column: object,
        q: object = None,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """The ``q``-quantile of ``column``, chosen by the exponential mechanism."""
        dictionary = self._dataset.info.dictionary
        spec = column_of(dictionary, column, numeric=True)
        if q is None:
            raise InvalidQuery("quantile needs q= (for example 0.5 for the median)")
        level = quantile_of(q)
        low, high = bounds_of(lower, upper, Operation.QUANTILE.value)
        return self._dataset._run(
            Query(
                Operation.QUANTILE,
                self._keys,
                epsilon_of(epsilon),
                delta_of(delta),
                value=spec,
                lower=low,
                upper=high,
                q=level,
            )
        )

    def histogram(
        self,
        column: object,
        *,
        epsilon: object = None,
        bins: object = None,
        lower: object = None,
        upper: object = None,
        delta: object = None,
    ) -> Release:
        """Noisy counts per category (declared, or selected with ``delta``) or numeric bin."""
        spec = column_of(self._dataset.info.dictionary, column, numeric=False)
        edges: tuple[float, ...] | None = None
        if spec.type.is_numeric:
            edges = bin_edges(bins, lower, upper)
        else:
            if bins is not None or lower is not None or upper is not None:
                raise InvalidQuery(
                    f"column {spec.name!r} is categorical: bins and bounds "
                    "apply to numeric columns only"
                )
            key_column_allowed(spec)
            if any(k.name == spec.name for k in self._keys):
                raise InvalidQuery(f"column {spec.name!r} is already a group key")
        return self._dataset._run(
            Query(
                Operation.HISTOGRAM,
                self._keys,
                epsilon_of(epsilon),
                delta_of(delta),
                histogram=spec,
                edges=edges,
            )
        )

    def min(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """DP minimum of ``column``: its 0-quantile (see :attr:`Operation.is_quantile`)."""
        return self._dataset._run(self._level(Operation.MIN, column, lower, upper, epsilon, delta))

    def max(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """DP maximum of ``column``: its 1-quantile."""
        return self._dataset._run(self._level(Operation.MAX, column, lower, upper, epsilon, delta))

    def median(
        self,
        column: object,
        *,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """DP median of ``column``: its 0.5-quantile."""
        return self._dataset._run(
            self._level(Operation.MEDIAN, column, lower, upper, epsilon, delta)
        )

    def count_distinct(
        self, column: object, *, epsilon: object = None, delta: object = None
    ) -> Release:
        """Noisy number of distinct non-null values of ``column`` (per group).

        Any stored column but an identifier, or the privacy unit itself (distinct persons);
        see :mod:`sandbox.engine.distinct` for the sensitivity.
        """
        name = Operation.COUNT_DISTINCT.value
        dataset = self._dataset
        unit = dataset.privacy_unit
        if type(column) is str and column == unit:
            spec = dataset.info.dictionary.by_name[column]
        else:
            spec = named(name, lambda: column_of(dataset.info.dictionary, column, numeric=False))
        if any(k.name == spec.name for k in self._keys):
            raise InvalidQuery(
                f"{name}(): column {spec.name!r} is a group key: its distinct "
                "count in each group is 1"
            )
        return dataset._run(
            Query(
                Operation.COUNT_DISTINCT,
                self._keys,
                named(name, lambda: epsilon_of(epsilon)),
                named(name, lambda: delta_of(delta)),
                distinct=spec,
                distinct_of_unit=spec.name == unit,
            )
        )

    def agg(
        self,
        statistics: object,
        *,
        column: object = None,
        lower: object = None,
        upper: object = None,
        epsilon: object = None,
        delta: object = None,
    ) -> Release:
        """Several statistics of one grouping, released jointly and charged once.

        ``statistics`` names some of ``count``, ``sum``, ``mean`` and ``variance`` (of
        ``column``, clamped to ``[lower, upper]``); the count is always released. The
        engine draws the noise of :mod:`sandbox.engine.joint` once and derives every
        statistic from it: ``agg(["count", "sum", "mean"], ...)`` costs ``epsilon`` in all
        and is more accurate than three releases of a third each. Ungrouped, the value is a
        dict by statistic; grouped, a table with a column per statistic.
        """
        name = Operation.AGG.value
        wanted = statistics_of(statistics)
        values = value_statistics(wanted)
        spec: ColumnSpec | None = None
        low = high = 0.0
        if column is not None:
            spec = named(
                name, lambda: column_of(self._dataset.info.dictionary, column, numeric=True)
            )
        if values:
            if spec is None:
                raise InvalidQuery(
                    f"{name}(): {', '.join(v.value for v in values)} need column=<a numeric column>"
                )
            low, high = named(name, lambda: bounds_of(lower, upper, name))
            if low == high:
                raise InvalidQuery(f"{name}(): lower must be below upper")
        elif lower is not None or upper is not None:
            raise InvalidQuery(f"{name}(): lower= and upper= apply to sum, mean and variance only")
        return self._dataset._run(
            Query(
                Operation.AGG,
                self._keys,
                named(name, lambda: epsilon_of(epsilon)),
                named(name, lambda: delta_of(delta)),
                value=spec,
                lower=low,
                upper=high,
                statistics=wanted,
            )
        )

    def _level(
        self,
        operation: Operation,
        column: object,
        lower: object,
        upper: object,
        epsilon: object,
        delta: object,
    ) -> Query:
        name = operation.value
        spec = named(name, lambda: column_of(self._dataset.info.dictionary, column, numeric=True))
        low, high = named(name, lambda: bounds_of(lower, upper, name))
        return Query(
            operation,
            self._keys,
            named(name, lambda: epsilon_of(epsilon)),
            named(name, lambda: delta_of(delta)),
            value=spec,
            lower=low,
            upper=high,
            q=QUANTILE_LEVELS[operation],
        )

    def _numeric(
        self,
        operation: Operation,
        column: object,
        lower: object,
        upper: object,
        epsilon: object,
        delta: object,
    ) -> Query:
        spec = column_of(self._dataset.info.dictionary, column, numeric=True)
        low, high = bounds_of(lower, upper, operation.value)
        return Query(
            operation,
            self._keys,
            epsilon_of(epsilon),
            delta_of(delta),
            value=spec,
            lower=low,
            upper=high,
        )
