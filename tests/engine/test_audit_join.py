"""Empirical privacy audit of joins (threshold tests, as in :mod:`tests.engine.test_audit`).

Neighbouring inputs: D, and D' = D plus one privacy unit (the victim) with many rows in
*both* joined datasets (a private join) or many rows that all meet a duplicated key of the
public table (a public join). The exact joined rows come from the engine's own code
(truncation is contribution bounding, then :func:`join_private_tables` /
:func:`join_public_table`, then the partial aggregates), the noise from the measurement the
plan builds at the distance its join steps give. The bound must stay at or below the charge,
and the same audit must catch deliberately broken variants:

- a private join without truncation: the victim's 6 x 6 rows all reach the count;
- a public join whose duplicated keys are ignored (the join taken as 1-stable): the victim's
  rows are doubled but the noise is not.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pyarrow as pa

from sandbox.engine.bounding import keep_mask
from sandbox.engine.joining import (
    PrivateJoinJob,
    PublicJoinJob,
    join_private_tables,
    join_public_table,
)
from sandbox.engine.joins import private_steps, public_step
from sandbox.engine.partials import PartialPlan, partial_of_table
from sandbox.engine.plan import Plan, Query, plan_query
from sandbox.engine.report import Operation, Part
from sandbox.engine.shape import Shape
from sandbox.engine.stability import StabilityStep, stability_steps
from tests.engine.test_audit import sample, tail_bound
from tests.support.factories import make_policy

EPSILON = Fraction(1, 2)
K = 2
"""Rows per unit each side is truncated to (and the contribution bound of both)."""
VICTIM_ROWS = 6


def side(seed: int, victim: bool) -> pa.Table:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = [
        {"pid": f"u{unit}", "clinic": rng.choice(["c1", "c2"])}
        for unit in range(200)
        for _ in range(rng.randint(1, 4))
    ]
    if victim:
        rows += [{"pid": "victim", "clinic": "c1"}] * VICTIM_ROWS
    return pa.Table.from_pylist(rows)


def truncated(table: pa.Table, k: int | None) -> pa.Table:
    if k is None:
        return table
    return table.filter(pa.array(keep_mask(table["pid"].combine_chunks(), k)))


JOB = PrivateJoinJob(
    "pid", (("pid", "pid"), ("clinic", "clinic_left")), (("clinic", "clinic_right"),), None, K
)


def joined_count(victim: bool, k: int | None = K) -> int:
    left, right = truncated(side(1, victim), k), truncated(side(2, victim), k)
    stats = partial_of_table(join_private_tables(left, right, JOB), PartialPlan())
    return stats[()].rows if stats else 0


def planned(steps: tuple[StabilityStep, ...]) -> Plan:
    query = Query(Operation.COUNT, (), EPSILON, None)
    return plan_query(query, make_policy(bound=K), K, "pid", steps)


def test_private_join_audit_stays_below_the_charge_and_catches_no_truncation() -> None:
    plan = planned(private_steps(("left", "right"), "pid", (K, K), None))
    assert plan.row_distance == K * K
    n, n_prime = joined_count(False), joined_count(True)
    assert n_prime - n == K * K
    measurement = plan.parts[Part.COUNT]
    charged = float(plan.cost.loss)
    trials = 60_000
    bound = tail_bound(
        sample(measurement, n, trials), sample(measurement, n_prime, trials), n_prime
    )
    assert 0.7 * charged <= bound <= charged

    # Broken: the sides joined as stored (no truncation): the victim adds 6 x 6 rows.
    raw, raw_prime = joined_count(False, None), joined_count(True, None)
    assert raw_prime - raw == VICTIM_ROWS * VICTIM_ROWS
    broken = tail_bound(
        sample(measurement, raw, 20_000), sample(measurement, raw_prime, 20_000), raw_prime
    )
    assert broken > charged


def test_public_join_audit_counts_duplicate_keys_and_catches_ignoring_them() -> None:
    table = pa.Table.from_pylist(
        [
            {"clinic": "c1", "area": "Harbour"},
            {"clinic": "c1", "area": "Harbour East"},
            {"clinic": "c2", "area": "Hill"},
        ]
    )
    job = PublicJoinJob(
        "clinic", "inner", (("pid", "pid"), ("clinic", "clinic")), (("area", "area"),), 2
    )

    def count(victim: bool) -> int:
        rows = join_public_table(truncated(side(3, victim), K), table, job)
        return partial_of_table(rows, PartialPlan())[()].rows

    first = stability_steps(Shape(), "pid", K)
    plan = planned((*first, public_step(K, "clinics", "clinic", "inner", 2)))
    assert plan.row_distance == 2 * K
    n, n_prime = count(False), count(True)
    assert n_prime - n == 2 * K  # the victim's K bounded rows each meet both c1 rows
    measurement = plan.parts[Part.COUNT]
    charged = float(plan.cost.loss)
    trials = 60_000
    bound = tail_bound(
        sample(measurement, n, trials), sample(measurement, n_prime, trials), n_prime
    )
    assert bound <= charged

    # Broken: the join taken as 1-stable (the duplicated key ignored): half the noise.
    naive = planned((*first, public_step(K, "clinics", "clinic", "inner", 1)))
    assert naive.row_distance == K
    weak = naive.parts[Part.COUNT]
    broken = tail_bound(sample(weak, n, trials), sample(weak, n_prime, trials), n_prime)
    assert broken > float(naive.cost.loss)
