"""The outputs the platform computes for a raw-access job, with the facts behind them.

A :class:`VerifiedOutput` is what a helper computed on the trusted side: the model receives
:meth:`VerifiedOutput.to_output` (a marked JSON object) and never the :class:`CellFacts`
kept beside each cell, which the output checks read when the model returns the object
unaltered.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

Condition = tuple[str, str, Any]
"""``(column, operator, literal)``; the literal of ``in`` is a tuple of literals."""


@dataclass(frozen=True)
class CellFacts:
    """What the checks know about one cell; never sent to the model."""

    count: int
    """Rows behind the cell."""
    contributors: int
    """Distinct privacy units behind the cell (rows, when the dataset names no unit)."""
    top: tuple[float, ...] = ()
    """Sums and means: the largest absolute contributions (per unit), largest first, at
    most :data:`~sandbox.disclosure.verified.cross_tabulation.TOP_KEPT` of
    them."""
    total: float | None = None
    """Sums and means: the sum of the absolute contributions."""

    @property
    def top1(self) -> float:
        """The largest absolute contribution (0 when none)."""
        return self.top[0] if self.top else 0.0

    @property
    def top2(self) -> float:
        """The second largest absolute contribution (0 when none)."""
        return self.top[1] if len(self.top) > 1 else 0.0


class VerifiedOutput(abc.ABC):
    """An exact aggregate the platform computed for a job, with the facts behind it."""

    kind: ClassVar[str]
    population: int
    """Rows the output rests on (after ``where``, and after leaving out null values)."""

    @abc.abstractmethod
    def to_output(self, output_id: str) -> dict[str, Any]:
        """The JSON the model receives (and must return unaltered to be verifiable)."""

    @property
    @abc.abstractmethod
    def spec(self) -> dict[str, Any]:
        """What was asked for, JSON-ready (two outputs of one spec compare cell by cell)."""

    @property
    @abc.abstractmethod
    def statistics(self) -> int:
        """The number of statistics (cells) the output releases."""


@dataclass(frozen=True, eq=False)
class VerifiedTable(VerifiedOutput):
    """A crosstab: a count, or the sum or mean of ``value``, per combination of key values."""

    kind: ClassVar[str] = "crosstab"
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    value: str | None
    agg: str
    where: tuple[Condition, ...]
    unit: str | None
    """The privacy unit column contributions were summed over (``None``: each row)."""
    columns: tuple[str, ...]
    """The output's column names: the keys, ``count``, then the value where there is one."""
    keys: tuple[tuple[Any, ...], ...]
    """Each cell's key values (JSON values), in output order."""
    cells: tuple[dict[str, Any], ...]
    """Each cell as ``{column: value}``: key values, the count, the value."""
    facts: tuple[CellFacts, ...]
    """Each cell's facts, in output order."""
    population: int

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The key columns, rows then cols."""
        return self.rows + self.cols

    @property
    def spec(self) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.spec`."""
        return {
            "rows": list(self.rows),
            "cols": list(self.cols),
            "value": self.value,
            "agg": self.agg,
            "where": where_json(self.where),
        }

    @property
    def statistics(self) -> int:
        """A count per cell, and a value per cell for sums and means."""
        return len(self.cells) * (1 if self.value is None else 2)

    def to_output(self, output_id: str) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.to_output`."""
        return {
            "sdc_output": output_id,
            "kind": self.kind,
            "columns": list(self.columns),
            "rows": [[cell[name] for name in self.columns] for cell in self.cells],
        }


@dataclass(frozen=True, eq=False)
class VerifiedRegression(VerifiedOutput):
    """An ordinary least squares fit of ``y`` on ``x`` with an intercept."""

    kind: ClassVar[str] = "regression"
    y: str
    x: tuple[str, ...]
    where: tuple[Condition, ...]
    n: int
    """Rows fitted."""
    dof_resid: int
    """Residual degrees of freedom: ``n - len(x) - 1``."""
    rank: int
    """Rank of the design matrix (below ``len(x) + 1``: collinear, no estimates)."""
    terms: tuple[str, ...]
    """``intercept`` then each predictor."""
    estimates: tuple[float | None, ...]
    std_errors: tuple[float | None, ...]
    r2: float | None

    @property
    def population(self) -> int:  # type: ignore[override]
        """The rows fitted."""
        return self.n

    @property
    def spec(self) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.spec`."""
        return {"y": self.y, "x": list(self.x), "where": where_json(self.where)}

    @property
    def statistics(self) -> int:
        """An estimate and a standard error per term, then n, dof and r2."""
        return 2 * len(self.terms) + 3

    def to_output(self, output_id: str) -> dict[str, Any]:
        """See :meth:`VerifiedOutput.to_output`."""
        return {
            "sdc_output": output_id,
            "kind": self.kind,
            "y": self.y,
            "x": list(self.x),
            "n": self.n,
            "dof_resid": self.dof_resid,
            "rank": self.rank,
            "r2": self.r2,
            "columns": ["term", "estimate", "std_error"],
            "rows": [
                [term, estimate, error]
                for term, estimate, error in zip(
                    self.terms, self.estimates, self.std_errors, strict=True
                )
            ],
        }


def where_json(where: Sequence[Condition]) -> list[list[Any]]:
    """Conditions as JSON lists (an ``in`` literal as a list)."""
    return [
        [column, op, list(literal) if isinstance(literal, tuple | list) else literal]
        for column, op, literal in where
    ]
