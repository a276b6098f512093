"""The facts kept of each released verified output, for the differencing rule.

When a raw-access job is released, the facts of its verified outputs (what was asked for,
the rows it rests on, each cell's exact count) are stored with it
(:func:`facts_to_dict`); a later job on the same dataset reads them back
(:func:`facts_from_dict`) so :mod:`sandbox.disclosure.rules.differencing` can flag a
table that differs from an earlier one by a few rows. Never shown to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.disclosure.verified.outputs import VerifiedOutput, VerifiedRegression, VerifiedTable


@dataclass(frozen=True)
class ReleasedOutputFacts:
    """What differencing needs of a released verified output (kept with its job)."""

    kind: str
    """``crosstab`` or ``regression``."""
    spec: Mapping[str, Any]
    """What was asked for (JSON form: rows, cols, value, agg, where; or y, x, where)."""
    population: int
    """Rows the output rests on."""
    cells: Mapping[tuple[Any, ...], int] = field(default_factory=dict)
    """Each cell's exact row count, by key values."""
    dataset: str | None = None
    """The dataset it was computed from, where known (outputs of other datasets are not
    compared)."""


def facts_of(output: VerifiedOutput, dataset: str | None = None) -> ReleasedOutputFacts:
    """The differencing facts of a verified output."""
    cells: dict[tuple[Any, ...], int] = {}
    if isinstance(output, VerifiedTable):
        cells = {key: facts.count for key, facts in zip(output.keys, output.facts, strict=True)}
        population = output.population
    elif isinstance(output, VerifiedRegression):
        population = output.n
    else:
        raise TypeError("facts_of() takes a verified table or regression")
    return ReleasedOutputFacts(
        kind=output.kind, spec=output.spec, population=population, cells=cells, dataset=dataset
    )


def facts_to_dict(facts: ReleasedOutputFacts) -> dict[str, Any]:
    """JSON-ready form of :class:`ReleasedOutputFacts`."""
    return {
        "kind": facts.kind,
        "spec": dict(facts.spec),
        "population": facts.population,
        "cells": [[list(key), count] for key, count in facts.cells.items()],
        "dataset": facts.dataset,
    }


def facts_from_dict(data: Mapping[str, Any]) -> ReleasedOutputFacts:
    """The facts of :func:`facts_to_dict`'s form.

    Raises:
        ValueError: The mapping is not of that form.
    """
    try:
        kind, spec, population = data["kind"], data["spec"], data["population"]
        cells = {tuple(key): int(count) for key, count in data.get("cells", [])}
        dataset = data.get("dataset")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"released output facts are malformed: {type(exc).__name__}") from None
    if (
        not isinstance(kind, str)
        or not isinstance(spec, Mapping)
        or type(population) is not int
        or not (dataset is None or isinstance(dataset, str))
    ):
        raise ValueError("released output facts are malformed")
    return ReleasedOutputFacts(
        kind=kind, spec=dict(spec), population=population, cells=cells, dataset=dataset
    )


def same_table(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two table specs ask for the same rows, cols, value and aggregate."""
    return all(a.get(name) == b.get(name) for name in ("rows", "cols", "value", "agg"))
