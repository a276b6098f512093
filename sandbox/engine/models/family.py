"""What a DP model family is: its call, its fit function, its parameter check, its target.

Kept apart from the registry (:mod:`sandbox.engine.models.registry`) so that a fitter's
module can define its :class:`Family` without importing every other family.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.engine.models.inputs import ModelFit
from sandbox.engine.report import Operation

Fitter = Callable[..., ModelFit]
"""``fit(data: ModelInput, epsilon: float, *, <family params>) -> ModelFit`` (the fitter
contract of :mod:`sandbox.engine.models.inputs`)."""


DistributedFitter = Callable[..., ModelFit]
"""``fit(gather, public: ModelInput, epsilon: float, *, <family params>) -> ModelFit``: the
same release as the family's :data:`Fitter`, computed from statistics that ``gather``
(:data:`sandbox.engine.models.statistics.Gather`) sums over rows it never returns;
``public`` holds no row, only the columns' public facts (names, bounds, classes)."""


Validator = Callable[[Mapping[str, object]], dict[str, Any]]
"""Checks a family's own parameters (all but columns, bounds, epsilon) and returns them as
the fitter's keyword arguments; raises :class:`InvalidQuery` naming the parameter."""


class Target(enum.StrEnum):
    """What a family's ``y`` is."""

    NONE = "none"
    """Unsupervised: no target (k-means, PCA)."""
    NUMERIC = "numeric"
    """A numeric column clipped to public bounds (linear regression)."""
    CATEGORICAL = "categorical"
    """Declared categories or a boolean, as class indices (logistic regression, naive Bayes)."""


@dataclass(frozen=True)
class Family:
    """One DP model family."""

    operation: Operation
    """Its call's name (``linear_regression``), the release's operation."""
    fit: Fitter
    validate: Validator
    target: Target
    one_hot: bool = True
    """Whether categorical features are accepted, one-hot over their declared categories."""
    drop_first: bool = False
    """Whether the first category of a one-hot feature is dropped (the reference level of a
    model with an intercept, which would otherwise be collinear with it)."""
    binary_target: bool = False
    """Whether a categorical target is made binary (``positive=`` against the rest)."""
    distributed: DistributedFitter | None = None
    """The fit from per-fragment statistics, for rows split over several fragments (``None``:
    the family fits its rows in one process, as logistic regression does)."""
