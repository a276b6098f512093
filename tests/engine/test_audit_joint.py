"""Empirical privacy audit of joint ``agg`` releases and of ``count_distinct``.

As :mod:`tests.engine.test_audit`: for neighbouring datasets D and D' = D + one privacy
unit, a release is drawn many times on both, and a threshold test gives a lower bound on
epsilon that holds with confidence 1 - ALPHA. It must stay below the charge for the
engine's mechanisms, and exceed it for deliberately broken variants of each:

- ``agg``: the sides measurement calibrated for one row instead of one unit (no
  contribution bound in the sensitivity), and the "mean from the exact count" shortcut
  (counts taken from the exact aggregate instead of being derived from the noisy sides);
- ``count_distinct``: a sensitivity of one distinct value per unit instead of its bound,
  and, for distinct units per group, one group per unit instead of ``min(c, groups)``.

The exact aggregates come from the engine's own bounding, partial-aggregate and
distinct-count code; the noise from the same measurement builders the planner uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.engine.bounding import keep_mask
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.distinct import distinct_partial, distinct_sensitivity
from sandbox.engine.fixedpoint import Grid
from sandbox.engine.joint import Span, plan_parts
from sandbox.engine.measurements import Calibrated, integer_noise
from sandbox.engine.partials import Fragment, KeySpec, PartialPlan, ValueSpec, partial_of_table
from sandbox.engine.report import Operation, Part
from sandbox.policies.budget import Accounting
from tests.engine.stats import epsilon_lower_bound
from tests.engine.test_audit import ALPHA, BOUND, EPSILON, base_rows, tail_bound

STATISTICS = (Operation.COUNT, Operation.SUM, Operation.MEAN)


def bounded(rows: list[dict[str, object]]) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    return table.filter(pa.array(keep_mask(table["pid"].combine_chunks(), BOUND)))


def sides_of(table: pa.Table, grid: Grid) -> tuple[int, int, int]:
    """Exact ``(S+, S-, values)`` of the whole table, by the engine's partial code."""
    stats = partial_of_table(table, PartialPlan(value=ValueSpec("x", grid, 1)))[()]
    plus, minus = Span.of(grid).sides(stats)
    return plus, minus, stats.values


def draws(measurement: Calibrated | object, vector: list[int], trials: int) -> np.ndarray:
    """``trials`` releases of a 2-vector, as a ``(trials, 2)`` array (one call)."""
    out = measurement(vector * trials)  # type: ignore[operator]
    return np.asarray(out, dtype=np.int64).reshape(trials, len(vector))


def test_agg_sides_audit_stays_below_the_charge_and_catches_broken_variants() -> None:
    grid = Grid.centred(0.0, 100.0)
    span = Span.of(grid)
    base = base_rows()
    victim = [{"pid": "victim", "region": "a", "x": 100.0}] * (BOUND + 2)
    d, d_prime = bounded(base), bounded(base + victim)
    plus, minus, n = sides_of(d, grid)
    plus_prime, minus_prime, n_prime = sides_of(d_prime, grid)
    assert (plus_prime - plus, minus_prime - minus) == (BOUND * span.width, 0)
    assert n_prime - n == BOUND
    parts = plan_parts(Accounting.PURE, BOUND, EPSILON, STATISTICS, grid, False, None)
    assert list(parts) == [Part.SIDES]  # one measurement: the whole request
    sides = parts[Part.SIDES]
    charged = float(sides.charge.loss)
    assert charged == float(EPSILON)
    trials = 60_000
    on_d, on_prime = (
        draws(sides, [plus, minus], trials),
        draws(sides, [plus_prime, minus_prime], trials),
    )
    bound = tail_bound(on_d[:, 0], on_prime[:, 0], plus_prime)
    assert 0.7 * charged <= bound <= charged

    # Broken: calibrated for one row (the range) and not for the unit's BOUND rows.
    per_row = integer_noise(Accounting.PURE, span.width, EPSILON)
    broken = tail_bound(
        draws(per_row, [plus, minus], 20_000)[:, 0],
        draws(per_row, [plus_prime, minus_prime], 20_000)[:, 0],
        plus_prime,
    )
    assert broken > charged

    # Broken: the counts (and so the mean's denominator) from the exact aggregate, the noisy
    # sides only for the sum: the released count tells D from D' with certainty.
    def shortcut(values: int, trials: int) -> np.ndarray:
        return np.full(trials, values)

    hits_prime = int(np.count_nonzero(shortcut(n_prime, 20_000) >= n_prime))
    hits = int(np.count_nonzero(shortcut(n, 20_000) >= n_prime))
    assert epsilon_lower_bound(hits_prime, hits, 20_000, ALPHA) > charged
    # ... while the engine's count, derived from the noisy sides, passes the same test.
    counts = np.rint(on_d.sum(axis=1) / span.width)
    counts_prime = np.rint(on_prime.sum(axis=1) / span.width)
    derived = tail_bound(counts, counts_prime, n_prime)
    assert derived <= charged


def test_agg_with_variance_spends_its_squares_share_only_on_squares() -> None:
    grid = Grid.centred(0.0, 100.0)
    parts = plan_parts(
        Accounting.PURE, BOUND, EPSILON, (*STATISTICS, Operation.VARIANCE), grid, False, None
    )
    assert [p.charge.loss for p in parts.values()] == [EPSILON / 2, EPSILON / 2]
    squares = parts[Part.SQUARES]
    assert squares.d_in == BOUND * grid.max_square_units
    base = base_rows()
    victim = [{"pid": "victim", "region": "a", "x": 0.0}] * (BOUND + 1)
    plan = PartialPlan(value=ValueSpec("x", grid, 2))
    q = partial_of_table(bounded(base), plan)[()].squares
    q_prime = partial_of_table(bounded(base + victim), plan)[()].squares
    assert q_prime - q == BOUND * grid.max_square_units  # the centre is 50: x=0 is extreme
    trials = 60_000
    bound = tail_bound(
        np.asarray(squares([q] * trials)), np.asarray(squares([q_prime] * trials)), q_prime
    )
    assert bound <= float(EPSILON / 2)


def write(tmp_path: Path, name: str, rows: list[dict[str, object]]) -> Fragment:
    path = tmp_path / f"{name}.parquet"
    pq.write_table(bounded(rows), path)
    return Fragment(str(path))


def distinct_counts(
    fragment: Fragment, keys: tuple[KeySpec, ...], column: str
) -> dict[tuple[object, ...], int]:
    import pyarrow.fs as pafs

    partial = distinct_partial(
        LocalTaskPool(), pafs.LocalFileSystem(), [fragment], PartialPlan(keys), column
    )
    return {key: stats.rows for key, stats in partial.items()}


def test_count_distinct_audit_stays_below_the_charge_and_catches_broken_noise(
    tmp_path: Path,
) -> None:
    base = [{**row, "occupation": f"job{i % 7}"} for i, row in enumerate(base_rows())]
    victim = [
        {"pid": "victim", "region": "a", "x": 1.0, "occupation": f"new{i}"}
        for i in range(BOUND + 2)
    ]  # bounding keeps BOUND of them: BOUND new values
    on_d = distinct_counts(write(tmp_path, "d", base), (), "occupation")[()]
    on_prime = distinct_counts(write(tmp_path, "d2", base + victim), (), "occupation")[()]
    assert on_prime - on_d == BOUND
    sensitivity = distinct_sensitivity(Accounting.PURE, BOUND, False, 1)
    calibrated = integer_noise(Accounting.PURE, sensitivity, EPSILON)
    charged = float(calibrated.charge.loss)
    trials = 60_000
    bound = tail_bound(
        np.asarray(calibrated([on_d] * trials)),
        np.asarray(calibrated([on_prime] * trials)),
        on_prime,
    )
    assert 0.7 * charged <= bound <= charged

    # Broken: "a unit adds one distinct value" (sensitivity 1) under-noises BOUND values.
    broken = integer_noise(Accounting.PURE, 1, EPSILON)
    assert (
        tail_bound(
            np.asarray(broken([on_d] * 20_000)), np.asarray(broken([on_prime] * 20_000)), on_prime
        )
        > charged
    )


def test_distinct_units_per_group_audit_catches_one_group_per_unit(tmp_path: Path) -> None:
    regions = ("a", "b", "c")
    keys = (KeySpec("region", regions),)
    base = [row for row in base_rows() if row["region"] in ("a", "b")]
    victim = [{"pid": "victim", "region": r, "x": 1.0} for r in regions]
    on_d = distinct_counts(write(tmp_path, "d", base), keys, "pid")
    on_prime = distinct_counts(write(tmp_path, "d2", base + victim), keys, "pid")
    d_vector = [on_d.get((r,), 0) for r in regions]
    prime_vector = [on_prime.get((r,), 0) for r in regions]
    assert [b - a for a, b in zip(d_vector, prime_vector, strict=True)] == [1, 1, 1]
    sensitivity = distinct_sensitivity(Accounting.PURE, BOUND, True, len(regions))
    assert sensitivity == 3
    calibrated = integer_noise(Accounting.PURE, sensitivity, EPSILON)
    broken = integer_noise(Accounting.PURE, 1, EPSILON)  # "a person is in one group"
    charged = float(calibrated.charge.loss)

    def sums(measurement: Calibrated, vector: list[int], trials: int) -> np.ndarray:
        released = np.asarray(measurement(vector * trials)).reshape(trials, len(vector))
        total: np.ndarray = released.sum(axis=1)
        return total

    threshold = sum(prime_vector) + 2
    trials = 60_000
    assert (
        tail_bound(
            sums(calibrated, d_vector, trials), sums(calibrated, prime_vector, trials), threshold
        )
        <= charged
    )
    assert (
        tail_bound(sums(broken, d_vector, 20_000), sums(broken, prime_vector, 20_000), threshold)
        > charged
    )
