"""Empirical privacy audit of filtered and derived-key releases (threshold tests).

As in :mod:`tests.engine.test_audit`: D' = D + one privacy unit (the victim), each release
is drawn many times on both, and a Clopper-Pearson threshold test gives a lower bound on
epsilon with confidence 1 - ALPHA. The exact aggregates come from the engine's own code
(contribution bounding, then the shape and the partial aggregates) and the noise from the
measurements the plan builds for the query, at the distance its stability steps give. The
bound must stay at or below what the query is charged, and the same audit must catch
deliberately broken variants:

- the filter evaluated on the stored rows instead of the bounded ones (bounding skipped for
  a filtered query): the victim moves the count by twice the bound;
- the noise omitted: the outputs on D and D' are told apart with certainty;
- bounding done per group of a derived key instead of across all groups: the victim
  contributes the bound to every group it touches;
- derived keys read from the data instead of their public categories: a group only the
  victim populates appears only on D'.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa

from sandbox.catalog.dictionary import DataDictionary
from sandbox.engine.bounding import keep_mask
from sandbox.engine.partials import GroupStats, PartialPlan, partial_of_table
from sandbox.engine.plan import Plan, Query, partial_plan_of, plan_query
from sandbox.engine.report import Operation, Part
from sandbox.engine.shape import Shape
from tests.engine.stats import clopper_pearson, epsilon_lower_bound
from tests.engine.test_audit import ALPHA, sample, tail_bound
from tests.support.factories import make_policy

BOUND = 3
EPSILON = Fraction(1, 2)
DICTIONARY = DataDictionary.from_list(
    [
        {"name": "pid", "type": "string", "classification": "identifier"},
        {
            "name": "region",
            "type": "string",
            "classification": "quasi_identifier",
            "categories": ["a", "b"],
        },
        {"name": "age", "type": "int64", "classification": "quasi_identifier"},
    ]
)


def base_rows(units: int = 200, seed: int = 17) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {"pid": f"u{unit}", "region": rng.choice("ab"), "age": rng.randrange(0, 60)}
        for unit in range(units)
        for _ in range(rng.randint(1, 4))
    ]


def neighbours(victim: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    base = base_rows()
    return pa.Table.from_pylist(base), pa.Table.from_pylist(base + victim)


def planned(operation: Operation, shape: Shape, keys: object = ()) -> Plan:
    key_columns = shape.key_columns(DICTIONARY, keys) if keys else ()
    query = Query(operation, key_columns, EPSILON, None, shape=shape)
    return plan_query(query, make_policy(bound=BOUND), BOUND, "pid")


def bounded(data: pa.Table, bound: int | None = BOUND) -> pa.Table:
    if bound is None:
        return data
    return data.filter(pa.array(keep_mask(data["pid"].combine_chunks(), bound)))


def exact(
    data: pa.Table, plan: PartialPlan, bound: int | None = BOUND
) -> dict[tuple[object, ...], GroupStats]:
    return partial_of_table(bounded(data, bound), plan)


def test_filtered_count_audit_stays_below_the_charge_and_catches_broken_variants() -> None:
    # The victim has 2 * BOUND rows, all of them old: bounding must cut it to BOUND.
    victim = [{"pid": "victim", "region": "a", "age": 90} for _ in range(2 * BOUND)]
    d, d_prime = neighbours(victim)
    shape = Shape().filtered([["age", ">=", 50]], DICTIONARY)
    plan = planned(Operation.COUNT, shape)
    assert plan.row_distance == BOUND
    partial = partial_plan_of(plan)
    n, n_prime = exact(d, partial)[()].rows, exact(d_prime, partial)[()].rows
    assert n_prime - n == BOUND
    measurement = plan.parts[Part.COUNT]
    charged = float(plan.cost.loss)
    trials = 60_000
    bound = tail_bound(
        sample(measurement, n, trials), sample(measurement, n_prime, trials), n_prime
    )
    assert 0.75 * charged <= bound <= charged

    # Broken: the filter evaluated on the stored rows (bounding skipped for filtered data).
    raw, raw_prime = (exact(t, partial, bound=None)[()].rows for t in (d, d_prime))
    assert raw_prime - raw == 2 * BOUND
    unbounded = tail_bound(
        sample(measurement, raw, 20_000), sample(measurement, raw_prime, 20_000), raw_prime
    )
    assert unbounded > charged

    # Broken: no noise at all.
    on_d, on_prime = np.full(20_000, n), np.full(20_000, n_prime)
    assert tail_bound(on_d, on_prime, n_prime) > 10 * charged


def test_derived_key_grouped_count_audit_catches_per_group_bounding_and_data_keys() -> None:
    # The victim's first BOUND rows are old, its next BOUND rows young, and it is the only
    # unit of the oldest band: the bounded victim adds BOUND rows to "[60, 100]" only.
    victim = [{"pid": "victim", "region": "a", "age": 95}] * BOUND + [
        {"pid": "victim", "region": "a", "age": 10}
    ] * BOUND
    d, d_prime = neighbours(victim)
    shape = Shape().derive(
        {"kind": "bin", "column": "age", "edges": [0, 30, 60, 100], "name": "band"}, DICTIONARY
    )
    plan = planned(Operation.COUNT, shape, "band")
    partial = partial_plan_of(plan)
    bands = ("[0, 30)", "[30, 60)", "[60, 100]")

    def counts(data: pa.Table, bound: int | None = BOUND) -> list[int]:
        stats = exact(data, partial, bound)
        return [stats[(band,)].rows if (band,) in stats else 0 for band in bands]

    young, old = 0, 2
    c, c_prime = counts(d), counts(d_prime)
    assert c[young] == c_prime[young] and c_prime[old] - c[old] == BOUND
    assert c[old] == 0  # nobody else is that old
    measurement = plan.parts[Part.COUNT]
    charged = float(plan.cost.loss)
    trials = 40_000

    def released(truth: list[int]) -> np.ndarray:
        """``trials`` releases of the vector of band counts (one call, rows = trials)."""
        flat = np.asarray(measurement([v for v in truth for _ in range(trials)]))
        return flat.reshape(len(truth), trials)

    def audit(on_d_truth: list[int], on_prime_truth: list[int]) -> float:
        # The event: both the young and the old count at least their value on D'.
        def hits(values: np.ndarray) -> int:
            return int(
                np.count_nonzero(
                    (values[young] >= on_prime_truth[young]) & (values[old] >= on_prime_truth[old])
                )
            )

        on_d, on_prime = released(on_d_truth), released(on_prime_truth)
        return epsilon_lower_bound(hits(on_prime), hits(on_d), trials, ALPHA)

    assert audit(c, c_prime) <= charged

    # Broken: bounding per group of the derived key (each unit keeps BOUND rows per band).
    def per_group(data: pa.Table) -> list[int]:
        frame = data.to_pandas()
        frame["band"] = np.digitize(frame.age, [30, 60])
        kept = frame[frame.groupby(["pid", "band"]).cumcount() < BOUND]
        return [int((kept.band == i).sum()) for i in range(3)]

    g, g_prime = per_group(d), per_group(d_prime)
    assert g_prime[young] - g[young] == BOUND and g_prime[old] - g[old] == BOUND
    assert audit(g, g_prime) > charged

    # Broken: groups read from the data (no public categories, no partition selection):
    # the oldest band exists only with the victim, so its mere presence tells D from D'.
    # (Deterministic: 200 runs give 200 times the same answer.)
    runs = 200
    present_on_d = runs * int((bands[old],) in exact(d, partial))
    present_on_prime = runs * int((bands[old],) in exact(d_prime, partial))
    assert epsilon_lower_bound(present_on_prime, present_on_d, runs, ALPHA) > charged
    # The engine releases every public band on both, so presence says nothing.
    assert plan.dimensions[0].allowed == bands and not plan.selection


def test_the_filter_is_no_free_query_of_a_units_presence() -> None:
    """A filter that only the victim passes (age 95) still yields a noisy count on D: the
    empty set is answered like any other, and the audit bound stays below the charge."""
    victim = [{"pid": "victim", "region": "b", "age": 95}] * BOUND
    d, d_prime = neighbours(victim)
    shape = Shape().filtered([["age", ">=", 90]], DICTIONARY)
    plan = planned(Operation.COUNT, shape)
    partial = partial_plan_of(plan)
    assert exact(d, partial) == {} and exact(d_prime, partial)[()].rows == BOUND
    measurement = plan.parts[Part.COUNT]
    trials = 60_000
    bound = tail_bound(sample(measurement, 0, trials), sample(measurement, BOUND, trials), BOUND)
    assert bound <= float(plan.cost.loss)
    lower, _ = clopper_pearson(
        int(np.count_nonzero(sample(measurement, 0, 2_000) != 0)), 2_000, ALPHA
    )
    assert lower > 0.3  # the answer on the empty set is noise, not a telltale zero
