"""The aggregates of a DP handle: each call validated into a :class:`~sandbox.engine.plan.Query`.

A dataset handle and a grouped handle offer the same calls; each call only checks its
arguments (:mod:`sandbox.engine.validation`) and hands the query to its dataset handle's
pipeline, so nothing is read or charged for a bad request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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


class Aggregates:
    """The aggregates shared by a dataset handle and a grouped handle."""

    _dataset: DatasetHandle
    _keys: tuple[KeyColumn, ...]
    """Stored or derived key columns (a derived one is a :mod:`sandbox.engine.derived`)."""

    def count(self, *, epsilon: object = None, delta: object = None) -> Release:
        """Noisy number of rows (per group)."""
        query = Query(Operation.COUNT, self._keys, epsilon_of(epsilon), delta_of(delta))
        return self._dataset._run(query)

    def sum(self, column: object, *, lower: object = None, upper: object = None,
            epsilon: object = None, delta: object = None) -> Release:
        """Noisy sum of ``column`` clamped to ``[lower, upper]``; nulls add nothing."""
        return self._dataset._run(
            self._numeric(Operation.SUM, column, lower, upper, epsilon, delta))

    def mean(self, column: object, *, lower: object = None, upper: object = None,
             epsilon: object = None, delta: object = None) -> Release:
        """Noisy mean of the non-null values of ``column`` clamped to ``[lower, upper]``."""
        return self._dataset._run(
            self._numeric(Operation.MEAN, column, lower, upper, epsilon, delta))

    def variance(self, column: object, *, lower: object = None, upper: object = None,
                 epsilon: object = None, delta: object = None) -> Release:
        """Noisy (population) variance of the clamped non-null values of ``column``."""
        return self._dataset._run(
            self._numeric(Operation.VARIANCE, column, lower, upper, epsilon, delta))

    def quantile(self, column: object, q: object = None, *, lower: object = None,
                 upper: object = None, epsilon: object = None, delta: object = None
                 ) -> Release:
        """The ``q``-quantile of ``column``, chosen by the exponential mechanism."""
        dictionary = self._dataset.info.dictionary
        spec = column_of(dictionary, column, numeric=True)
        if q is None:
            raise InvalidQuery("quantile needs q= (for example 0.5 for the median)")
        level = quantile_of(q)
        low, high = bounds_of(lower, upper, Operation.QUANTILE.value)
        return self._dataset._run(Query(Operation.QUANTILE, self._keys, epsilon_of(epsilon),
                                        delta_of(delta), value=spec, lower=low, upper=high,
                                        q=level))

    def histogram(self, column: object, *, epsilon: object = None, bins: object = None,
                  lower: object = None, upper: object = None, delta: object = None
                  ) -> Release:
        """Noisy counts per category (declared, or selected with ``delta``) or numeric bin."""
        spec = column_of(self._dataset.info.dictionary, column, numeric=False)
        edges: tuple[float, ...] | None = None
        if spec.type.is_numeric:
            edges = bin_edges(bins, lower, upper)
        else:
            if bins is not None or lower is not None or upper is not None:
                raise InvalidQuery(f"column {spec.name!r} is categorical: bins and bounds "
                                   "apply to numeric columns only")
            key_column_allowed(spec)
            if any(k.name == spec.name for k in self._keys):
                raise InvalidQuery(f"column {spec.name!r} is already a group key")
        return self._dataset._run(Query(Operation.HISTOGRAM, self._keys, epsilon_of(epsilon),
                                        delta_of(delta), histogram=spec, edges=edges))

    def _numeric(self, operation: Operation, column: object, lower: object, upper: object,
                 epsilon: object, delta: object) -> Query:
        spec = column_of(self._dataset.info.dictionary, column, numeric=True)
        low, high = bounds_of(lower, upper, operation.value)
        return Query(operation, self._keys, epsilon_of(epsilon), delta_of(delta),
                     value=spec, lower=low, upper=high)
