"""Stability maps of the row-level transformations, as OpenDP states them, and the steps of
a query from stored rows to aggregated rows.

Between contribution bounding and the aggregates a query may filter rows and derive columns.
Each is a transformation on datasets under the symmetric distance (how many rows are added
or removed); its *stability map* says how far apart the outputs of two inputs at distance
``d`` can be. The plan asks these maps instead of assuming the answer, so a transformation
that were not 1-stable would raise every measurement's sensitivity with it.

The maps come from the OpenDP transformations that do the same thing to a row:

- a filter keeps or drops each row: ``make_subset_by`` (drop the rows whose indicator is
  false; OpenDP marks it deprecated in favour of its Polars API, which this project does not
  ship, but its proof and map are unchanged);
- a bin: ``make_find_bin``; a category map: ``make_find`` (the index of each row's value
  among the categories); a date part: ``make_cast_default`` (a row-by-row map of each value
  to an integer, as extracting a date part is).

Their stability maps do not depend on their parameters (edges, categories), so each is built
once per process with placeholder parameters.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import opendp.prelude as dp

from sandbox.engine.derived import DerivedKind
from sandbox.engine.measurements import _enable_contrib
from sandbox.engine.shape import Shape
from sandbox.errors import SandboxInternalError


@functools.cache
def _row_filter() -> Any:
    _enable_contrib()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return dp.t.make_subset_by("#keep", ["#value"], TK=str)


@functools.cache
def _row_map(kind: DerivedKind) -> Any:
    _enable_contrib()
    metric = dp.symmetric_distance()
    if kind is DerivedKind.BIN:
        domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
        return dp.t.make_find_bin(domain, metric, edges=[0.0, 1.0])
    text = dp.vector_domain(dp.atom_domain(T=str))
    if kind is DerivedKind.MAP:
        return dp.t.make_find(text, metric, categories=["a"])
    return dp.t.make_cast_default(text, metric, TOA="i64")


_NAMES = {
    DerivedKind.BIN: "make_find_bin",
    DerivedKind.MAP: "make_find",
    DerivedKind.DATE_PART: "make_cast_default",
}


def _mapped(transformation: Any, distance: int) -> int:
    out = transformation.map(distance)
    if type(out) is not int or out < distance:
        raise SandboxInternalError("a stability map gave an unexpected distance")
    return out


def filter_stability(distance: int) -> tuple[int, str]:
    """Rows one unit can change after a row filter, and the map that says so."""
    return _mapped(_row_filter(), distance), "OpenDP make_subset_by stability map"


def row_map_stability(kind: DerivedKind, distance: int) -> tuple[int, str]:
    """Rows one unit can change after deriving a column of ``kind``, and the map used."""
    return _mapped(_row_map(kind), distance), f"OpenDP {_NAMES[kind]} stability map"


@dataclass(frozen=True)
class StabilityStep:
    """One transformation between the stored rows and the aggregates, with its stability."""

    step: str
    """What it does, e.g. ``bound contributions by pid`` or ``where``."""
    rows_per_unit: int
    """Most rows one privacy unit can have (or change) after this step."""
    justified_by: str
    """Why: the bound itself, or the OpenDP transformation whose stability map was used."""
    detail: Any = None
    """The transformation's definition (filter or derived column, as on the wire)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "rows_per_unit": self.rows_per_unit,
            "justified_by": self.justified_by,
            "detail": self.detail,
        }


def stability_steps(
    shape: Shape,
    privacy_unit: str | None,
    contribution_bound: int,
    source: Sequence[StabilityStep] = (),
) -> tuple[StabilityStep, ...]:
    """The transformations from stored rows to aggregated rows, each with the most rows one
    privacy unit has after it (the last one is the distance measurements are calibrated at).

    ``source``: the steps that made a joined handle's rows (truncation, joins); they take
    the place of contribution bounding, and the shape's steps start from their distance.
    """
    distance = contribution_bound
    if source:
        steps = list(source)
        distance = source[-1].rows_per_unit
    elif privacy_unit is None:
        steps = [
            StabilityStep(
                "each row is its own privacy unit", distance, "no privacy unit: one row per unit"
            )
        ]
    else:
        steps = [
            StabilityStep(
                f"bound contributions by {privacy_unit}",
                distance,
                f"contribution bounding keeps at most {distance} rows per unit",
            )
        ]
    for derived in shape.derived:
        distance, certificate = row_map_stability(derived.kind, distance)
        steps.append(
            StabilityStep(
                f"derive {derived.name} ({derived.kind.value} of {derived.source})",
                distance,
                certificate,
                derived.to_data(),
            )
        )
    if shape.where is not None:
        distance, certificate = filter_stability(distance)
        steps.append(StabilityStep("where", distance, certificate, shape.where.to_data()))
    return tuple(steps)
