"""The trusted DP query engine behind the DP handle of DESIGN.md (issue #3).

Raw rows are read only here. A query is validated, its OpenDP measurements are built and
their exact cost charged to the ledger, exact partial aggregates of the contribution-bounded
Parquet fragments are computed in parallel Ray tasks and combined, noise is added once by
OpenDP, and the row-count rules are applied before the value leaves with its report.
"""

from sandbox.engine.handle import DatasetHandle, GroupedHandle, QueryEngine
from sandbox.engine.report import MechanismReport, Operation, Part, Release, ReleaseReport
from sandbox.engine.validation import InvalidQuery

__all__ = [
    "DatasetHandle",
    "GroupedHandle",
    "InvalidQuery",
    "MechanismReport",
    "Operation",
    "Part",
    "QueryEngine",
    "Release",
    "ReleaseReport",
]
