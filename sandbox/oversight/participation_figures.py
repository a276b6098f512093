"""The statistics' figures of the opening plans (Xi'an art. 20-21; Lianyungang art. 11),
kept apart from :mod:`sandbox.oversight.opening_plan` so the statistics' value types can
name them without importing the workflow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanProgress:
    """A published opening plan's progress: its entries met (on time or late), still
    pending, and overdue (unmet past their date).
    """

    organisation: str
    year: int
    entries: int
    met: int
    met_late: int
    pending: int
    overdue: int
