"""MST end to end on exact joint counts: measure, estimate, generate, report utility.

The caller (:mod:`sandbox.engine.synth.release`) has charged the plan before calling
:func:`run_mst`; everything after :func:`~sandbox.engine.synth.measure.run_measurements`
is post-processing of the noisy marginals (the estimation, the sampling of rows, the
uniform draws within numeric bins, the utility report), so it costs no further privacy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.engine.synth.counts import JointCounts
from sandbox.engine.synth.domain import SynthDomain
from sandbox.engine.synth.estimate import ESTIMATION_ITERATIONS, estimate, sample_codes
from sandbox.engine.synth.generate import synthetic_table
from sandbox.engine.synth.measure import Measured, MeasurementPlan, run_measurements
from sandbox.engine.synth.utility import utility_report

__all__ = ["MAX_ROWS", "SynthOutput", "noisy_total", "run_mst"]

MAX_ROWS = 10_000
"""Most synthetic rows of one release (a job's answer crosses a 1 MiB channel)."""


@dataclass(frozen=True)
class SynthOutput:
    """What one MST run produced: the table, the tree chosen, the utility report."""

    table: pa.Table
    measured: Measured
    utility: dict[str, Any]
    rows_from_noisy_total: bool
    """Whether the row count was the noisy total (no ``rows`` was asked for)."""

    def tree(self, domain: SynthDomain) -> list[list[str]]:
        """The spanning tree's edges, by column name (itself a DP release: selected)."""
        return [
            [domain.names[a], domain.names[b]] for a, b in (s.chosen for s in self.measured.tree)
        ]


def noisy_total(measured: Measured) -> int:
    """The number of rows the noisy 1-way marginals suggest (their mean total)."""
    totals = [float(m.values.sum()) for m in measured.one_way]
    return int(max(1.0, round(float(np.mean(totals)))))


def run_mst(
    domain: SynthDomain,
    plan: MeasurementPlan,
    joint: JointCounts,
    rows: int | None,
    iterations: int = ESTIMATION_ITERATIONS,
    most: int = MAX_ROWS,
) -> SynthOutput:
    """Measure ``joint`` as ``plan`` says, fit the model and draw ``rows`` rows (default:
    the noisy total, at most ``most``, itself at most :data:`MAX_ROWS`).
    """
    measured = run_measurements(plan, joint)
    wanted = rows if rows is not None else min(noisy_total(measured), most, MAX_ROWS)
    model = estimate(domain.names, domain.shape, measured, iterations)
    codes = sample_codes(model, domain.names, wanted)
    rng = np.random.default_rng()
    table = synthetic_table(domain, codes, rng)
    utility = utility_report(domain, measured.marginals, codes)
    return SynthOutput(table, measured, utility, rows is None)
