"""What a DP model fitter receives: clipped columns of bounded rows, and their public bounds.

Fitters are pure functions of a :class:`ModelInput` and a per-row epsilon; they never read
files, the ledger or the policy. The engine builds the input after contribution bounding
(at most ``rows_per_unit`` rows per privacy unit), so a fitter that is epsilon-DP for one
row is ``rows_per_unit * epsilon``-DP for one privacy unit (group privacy); the engine
passes ``epsilon / rows_per_unit`` for a charge of ``epsilon``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy
import numpy.typing as npt


@dataclass(frozen=True)
class ModelInput:
    """Feature matrix (and target) of the rows a model is fitted on, already clipped.

    Attributes:
        features: ``n x d`` float64 matrix, each column clipped to its ``feature_bounds``.
        feature_names: The column names, in matrix order (derived columns by their new name).
        feature_bounds: Public ``(lower, upper)`` per feature, from the call or the dictionary.
        target: The target column (``n`` values) for supervised models, else ``None``:
            float64 clipped to ``target_bounds`` for regression, integer class indices into
            ``classes`` for classification.
        target_name: Its column name.
        target_bounds: Public bounds of a numeric target.
        classes: Public class labels of a categorical target (declared categories).
        rows_per_unit: The contribution bound applied before fitting.
    """

    features: npt.NDArray[numpy.float64]
    feature_names: tuple[str, ...]
    feature_bounds: tuple[tuple[float, float], ...]
    rows_per_unit: int
    target: npt.NDArray[Any] | None = None
    target_name: str | None = None
    target_bounds: tuple[float, float] | None = None
    classes: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Number of rows (never released: only fitters see it, on the trusted side)."""
        return int(self.features.shape[0])


@dataclass(frozen=True)
class ModelFit:
    """What a fitter returns: the released values and how they were made (for the report).

    Attributes:
        values: JSON-able released values (coefficients, centroids, components, ...), all
            computed by the DP mechanism or post-processing of its output.
        mechanism: The mechanism's name, as the report shows it (e.g. "diffprivlib
            LinearRegression (functional mechanism)").
        epsilon: The per-row epsilon the mechanism was run at (the charge over
            ``rows_per_unit``).
        delta: Its delta (0 for pure DP).
        details: Other report facts that reveal nothing about the rows (library version,
            iterations, bounds used, norms).
    """

    values: Mapping[str, Any]
    mechanism: str
    epsilon: float
    delta: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
