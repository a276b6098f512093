"""Exact partial aggregates: per fragment, combined, equal to pyarrow on the whole table."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from sandbox.engine.bounding import file_fragments
from sandbox.engine.compute import LocalExecutor, run_partials
from sandbox.engine.fixedpoint import GRID_BITS, Grid
from sandbox.engine.partials import BinSpec, KeySpec, PartialPlan, ValueSpec, partial_of_table


def table(rows: int, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    values = [rng.uniform(-50, 150) for _ in range(rows)]
    for i in range(0, rows, 97):
        values[i] = None  # type: ignore[call-overload]
    for i in range(5, rows, 101):
        values[i] = math.nan
    return pa.table({
        "region": [rng.choice(["a", "b", "c", "zz"]) for _ in range(rows)],
        "flag": [rng.random() < 0.3 for _ in range(rows)],
        "x": pa.array(values, pa.float64()),
        "n": [rng.randrange(0, 20) for _ in range(rows)],
    })


@pytest.fixture
def fragmented(tmp_path: Path) -> tuple[pafs.LocalFileSystem, str, pa.Table]:
    data = table(5_000)
    path = str(tmp_path / "v.parquet")
    pq.write_table(data, path, row_group_size=400)
    return pafs.LocalFileSystem(), path, data


def test_partials_over_fragments_equal_the_exact_result(fragmented) -> None:
    filesystem, path, data = fragmented
    fragments = file_fragments(filesystem, path, row_groups_per_task=3)
    assert len(fragments) == 5  # 13 row groups in chunks of 3
    grid = Grid.centred(0.0, 100.0)
    plan = PartialPlan(keys=(KeySpec("region", ("a", "b", "c")), KeySpec("flag")),
                       value=ValueSpec("x", grid, moments=2))
    combined = run_partials(LocalExecutor(), filesystem, fragments, plan)

    # The same statistics computed by pyarrow on the whole table at once.
    kept = data.filter(pc.is_in(data["region"], value_set=pa.array(["a", "b", "c"])))
    x = pc.cast(kept["x"], pa.float64())
    usable = pc.fill_null(pc.and_(pc.is_valid(x), pc.invert(pc.is_nan(x))), False)
    filled = pc.if_else(usable, x, 0.0)
    units, squares = grid.quantise(filled)
    null = pa.scalar(None, pa.int64())
    exact = pa.table({"region": kept["region"], "flag": kept["flag"],
                      "u": pc.if_else(usable, units, null),
                      "s": pc.if_else(usable, squares, null)}).group_by(["region", "flag"]) \
        .aggregate([([], "count_all"), ("u", "count"), ("u", "sum"), ("s", "sum")])
    assert len(combined) == exact.num_rows == 6
    for row in exact.to_pylist():
        stats = combined[(row["region"], row["flag"])]
        assert (stats.rows, stats.values, stats.units, stats.squares) == (
            row["count_all"], row["u_count"], row["u_sum"], row["s_sum"])


def test_histogram_bins_and_quantile_codes(fragmented) -> None:
    filesystem, path, data = fragmented
    fragments = file_fragments(filesystem, path, row_groups_per_task=2)
    candidates = tuple(float(v) for v in range(0, 20))
    plan = PartialPlan(bins=BinSpec("n", (0.0, 5.0, 10.0, 20.0)),
                       value=ValueSpec("n", Grid.centred(0.0, 19.0), candidates=candidates))
    combined = run_partials(LocalExecutor(), filesystem, fragments, plan)
    n = data["n"].to_pylist()
    for index, (low, high) in enumerate([(0, 5), (5, 10), (10, 20)]):
        members = [v for v in n if low <= v < high or (index == 2 and v == high)]
        stats = combined[(index,)]
        assert stats.rows == stats.values == len(members)
        below, equal = stats.below_equal(len(candidates))
        assert equal == [members.count(c) for c in range(20)]
        assert below == [sum(1 for v in members if v < c) for c in range(20)]


def test_quantile_scores_match_opendp() -> None:
    import opendp.prelude as dp

    dp.enable_features("contrib")  # make_quantile_score_candidates is a contrib constructor
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9]
    candidates = list(range(0, 11))
    stats = partial_of_table(
        pa.table({"v": values}),
        PartialPlan(value=ValueSpec("v", Grid.centred(0.0, 10.0),
                                    candidates=tuple(float(c) for c in candidates))))[()]
    for alpha, ours in ((0.5, (1, 2)), (0.3, (3, 10)), (0.9, (9, 10))):
        reference = dp.t.make_quantile_score_candidates(
            dp.vector_domain(dp.atom_domain(T="i64")), dp.symmetric_distance(),
            candidates=candidates, alpha=alpha)
        theirs = reference(values)
        mine = stats.quantile_scores(len(candidates), ours)
        ratio = reference.map(1) // max(ours[0], ours[1] - ours[0])
        assert [m * ratio for m in mine] == theirs


def test_quantised_values_stay_on_the_int64_grid() -> None:
    for lower, upper in ((0.0, 1e6), (-3.5, 2.0), (0.0, 0.0), (-2.0**52, 2.0**52), (1e-9, 2e-9)):
        for grid in (Grid.for_sum(lower, upper), Grid.centred(lower, upper)):
            values = pa.array([lower, upper, (lower + upper) / 2, lower - 1e9, upper + 1e9])
            units, squares = grid.quantise(values)
            assert max(abs(u) for u in units.to_pylist()) <= 2**GRID_BITS
            assert max(squares.to_pylist()) <= 2**GRID_BITS
            assert grid.max_units >= max(abs(u) for u in units.to_pylist())
            assert grid.max_square_units >= max(squares.to_pylist())
