"""The DP model families a handle can fit: name -> fit function and parameter validation.

A family is registered once, at import of this module, with one line each (the fitters are
pure functions of a :class:`~sandbox.engine.models.inputs.ModelInput`, see that module).
The pipeline (:mod:`sandbox.engine.models.pipeline`) looks a family up by the handle call's
name, validates the family's own parameters with its ``validate`` *before* anything is read
or charged, and calls ``fit`` with the per-row epsilon and the validated parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.engine.models.family import Family, Target, Validator
from sandbox.engine.validation import InvalidQuery

__all__ = ["FAMILIES", "Family", "Target", "family_of", "no_params", "register"]


FAMILIES: dict[str, Family] = {}
"""Registered families by call name."""


def register(family: Family) -> None:
    """Add ``family`` (once per name)."""
    name = family.operation.value
    if name in FAMILIES:
        raise ValueError(f"model family {name!r} is registered twice")
    FAMILIES[name] = family


def family_of(name: str) -> Family:
    """The family ``name``, or a refusal naming the ones there are."""
    found = FAMILIES.get(name)
    if found is None:
        known = ", ".join(sorted(FAMILIES)) or "none"
        raise InvalidQuery(
            f"{name}(): this model family is not available here (available: {known})"
        )
    return found


def no_params(call: str) -> Validator:
    """A validator for a family without parameters of its own."""

    def validate(params: Mapping[str, object]) -> dict[str, Any]:
        for name in params:
            raise InvalidQuery(f"{call}(): unknown parameter {name!r}")
        return {}

    return validate


def _register_all() -> None:
    # One line per family; each module holds its fitter and its parameter validator.
    from sandbox.engine.models import kmeans, linear, logistic, naive_bayes, pca

    register(linear.FAMILY)
    register(logistic.FAMILY)
    register(kmeans.FAMILY)
    register(pca.FAMILY)
    register(naive_bayes.FAMILY)


_register_all()
