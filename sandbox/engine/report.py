"""What a DP release hands back: its value and the report of what it cost.

The report holds no data value: only the dataset, the operation, the mechanisms and their
exact costs, and what the row-count rules did. It is what a job keeps of each release (as
:meth:`ReleaseReport.to_dict`) and what the output checks report for a DP job.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa

from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.rowcount import RowCountReport

if TYPE_CHECKING:
    from sandbox.engine.stability import StabilityStep


ReleaseValue: TypeAlias = int | float | dict[str, Any] | pa.Table | None
"""What a release hands back: a number, ``None`` (suppressed), an ungrouped ``agg``'s
statistics by name, a DP model's fitted values by name, or a table of groups."""


class Operation(enum.StrEnum):
    """What a release computes: the aggregate calls of a DP handle, by name."""

    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    VARIANCE = "variance"
    QUANTILE = "quantile"
    HISTOGRAM = "histogram"
    MIN = "min"
    """The 0-quantile (Tumult's definition), see :attr:`is_quantile`."""
    MAX = "max"
    """The 1-quantile."""
    MEDIAN = "median"
    """The 0.5-quantile."""
    COUNT_DISTINCT = "count_distinct"
    """Distinct non-null values of a column (:mod:`sandbox.engine.distinct`)."""
    AGG = "agg"
    """Several statistics of one grouping, released jointly (:mod:`sandbox.engine.joint`)."""
    LINEAR_REGRESSION = "linear_regression"
    """A DP model fitted on the trusted side (:mod:`sandbox.engine.models`), as the next four."""
    LOGISTIC_REGRESSION = "logistic_regression"
    KMEANS = "kmeans"
    PCA = "pca"
    NAIVE_BAYES = "naive_bayes"

    @property
    def cells_per_group(self) -> int:
        """Statistics one group of the output releases: its count, and a value unless the
        operation is a count (``count``, ``histogram`` and ``count_distinct`` release the
        count alone). An ``agg`` releases as many as it was asked for: see
        :attr:`sandbox.engine.plan.Query.cells_per_group`.
        """
        counts = (Operation.COUNT, Operation.HISTOGRAM, Operation.COUNT_DISTINCT)
        return 1 if self in counts else 2

    @property
    def is_quantile(self) -> bool:
        """Whether the release is a quantile chosen by the exponential mechanism.

        ``min``, ``max`` and ``median`` are the 0-, 1- and 0.5-quantiles, as Tumult Analytics
        defines them: every candidate from ``lower`` up to the smallest value scores as well
        as the minimum itself (no count can tell them apart), so a ``min`` lies at or below
        the true minimum, anywhere down to ``lower`` (a ``max`` at or above the maximum, up
        to ``upper``). Tight bounds give tight answers.
        """
        return self in (Operation.QUANTILE, Operation.MIN, Operation.MAX, Operation.MEDIAN)


class Part(enum.StrEnum):
    """What one measurement of a release noises."""

    COUNT = "count"
    """The rows (or values) per group: the noisy support the row-count rules act on."""
    SUM = "sum"
    """The fixed-point sum of the clamped values."""
    SQUARES = "squares"
    """The fixed-point sum of their squares (variance)."""
    SELECT = "select"
    """The noisy choice among quantile candidates."""
    SIDES = "sides"
    """An ``agg``'s two one-sided sums per group, of ``value - lower`` and of
    ``upper - value``: their total is the count times the range, so the count, the sum and
    the mean all follow from this one measurement (:mod:`sandbox.engine.joint`)."""
    MODEL = "model"
    """A DP model's fit (:mod:`sandbox.engine.models`): the library's mechanism as a whole."""


@dataclass(frozen=True)
class MechanismReport:
    """One OpenDP measurement of a release."""

    part: Part
    """What it noised."""
    mechanism: str
    scale: float
    cost: PrivacyCost
    """What this measurement was charged: its exact share of the request."""
    threshold: int | None = None
    loss: PrivacyCost | None = None
    """The loss OpenDP's privacy map gives for it (at most ``cost``)."""

    def to_dict(self, accounting: Accounting) -> dict[str, Any]:
        """JSON-ready form."""
        result: dict[str, Any] = {
            "part": self.part.value,
            "mechanism": self.mechanism,
            "scale": self.scale,
            "cost": self.cost.describe(accounting),
            "threshold": self.threshold,
        }
        if self.loss is not None:  # OpenDP's floats, exactly: no decimal to round
            result["map_loss"] = float(self.loss.loss)
            if self.loss.delta:
                result["map_delta"] = float(self.loss.delta)
        return result


@dataclass(frozen=True)
class ReleaseReport:
    """What a release cost and what was done to it; holds no data value."""

    dataset: str
    version: int
    operation: Operation
    column: str | None
    keys: tuple[str, ...]
    accounting: Accounting
    cost: PrivacyCost
    """The exact cost: the request as written (its epsilon, or rho), never below the sum of
    what OpenDP's maps give for the measurements used."""
    charged: PrivacyCost
    """What the ledger debited: ``cost`` rounded up to ledger units."""
    mechanisms: tuple[MechanismReport, ...]
    privacy_unit: str | None
    contribution_bound: int
    partition_selection: bool
    groups_released: int
    suppressed: int
    truncated: int
    """Selected groups dropped to respect ``max_output_cells`` (the smallest noisy counts)."""
    row_count: RowCountReport
    charge_id: int
    transformations: tuple[StabilityStep, ...] = ()
    """From stored rows to aggregated rows: bounding, derived columns, the filter, each with
    the most rows one privacy unit has after it (the last: what the noise is calibrated for)."""
    statistics: tuple[str, ...] = ()
    """An ``agg``'s statistics, in the order asked (empty for every other operation)."""
    joins: tuple[dict[str, Any], ...] = ()
    """The joins the rows come from (:mod:`sandbox.engine.joined`), after ``dataset``."""
    charge_ids: tuple[int, ...] = ()
    """Every charge of a release that joined several granted datasets (one per dataset,
    made together); empty otherwise (``charge_id`` is the only one)."""
    model: Mapping[str, Any] | None = None
    """A DP model's facts (:mod:`sandbox.engine.models`): its columns and public bounds, the
    per-row epsilon the library ran at, the library and its version; ``None`` otherwise."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "operation": self.operation.value,
            "column": self.column,
            "keys": list(self.keys),
            "accounting": self.accounting.value,
            "cost": self.cost.describe(self.accounting),
            "loss": float(self.cost.loss),
            "delta": float(self.cost.delta),
            "charged": self.charged.describe(self.accounting),
            "mechanisms": [m.to_dict(self.accounting) for m in self.mechanisms],
            "privacy_unit": self.privacy_unit,
            "contribution_bound": self.contribution_bound,
            "partition_selection": self.partition_selection,
            "groups_released": self.groups_released,
            "suppressed": self.suppressed,
            "truncated": self.truncated,
            "row_count": self.row_count.to_dict(),
            "charge_id": self.charge_id,
            "transformations": [step.to_dict() for step in self.transformations],
            **({"statistics": list(self.statistics)} if self.statistics else {}),
            **({"joins": [dict(join) for join in self.joins]} if self.joins else {}),
            **({"charge_ids": list(self.charge_ids)} if self.charge_ids else {}),
            **({"model": dict(self.model)} if self.model is not None else {}),
        }


@dataclass(frozen=True)
class Release:
    """A DP output: a number (``None`` when suppressed), the statistics of an ungrouped
    ``agg`` by name, or a table of groups, with its report.

    Scalar releases format and convert like their number: ``f"{release:.0f}"``.
    """

    value: ReleaseValue
    report: ReleaseReport

    def rows(self) -> list[dict[str, Any]]:
        """A table release as a list of dicts (a scalar one as a one-row list)."""
        if isinstance(self.value, pa.Table):
            rows: list[dict[str, Any]] = self.value.to_pylist()
            return rows
        if isinstance(self.value, dict):
            return [dict(self.value)]
        return [{"value": self.value}]

    def __float__(self) -> float:
        if isinstance(self.value, int | float):
            return float(self.value)
        raise TypeError("this release is suppressed, a table or several statistics, not a number")

    def __format__(self, spec: str) -> str:
        if self.value is None:
            return "suppressed"
        if isinstance(self.value, pa.Table):
            return format(str(self.value.to_pylist()), spec)
        if isinstance(self.value, dict):
            return format(str(self.value), spec)
        return format(self.value, spec)
