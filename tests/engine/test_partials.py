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
from sandbox.engine.compute import LocalTaskPool, run_partials
from sandbox.engine.fixedpoint import GRID_BITS, Grid
from sandbox.engine.partials import BinSpec, KeySpec, PartialPlan, ValueSpec, partial_of_table


def table(rows: int, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    values = [rng.uniform(-50, 150) for _ in range(rows)]
    for i in range(0, rows, 97):
        values[i] = None  # type: ignore[call-overload]
    for i in range(5, rows, 101):
        values[i] = math.nan
    return pa.table(
        {
            "region": [rng.choice(["a", "b", "c", "zz"]) for _ in range(rows)],
            "flag": [rng.random() < 0.3 for _ in range(rows)],
            "x": pa.array(values, pa.float64()),
            "n": [rng.randrange(0, 20) for _ in range(rows)],
        }
    )


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
    plan = PartialPlan(
        keys=(KeySpec("region", ("a", "b", "c")), KeySpec("flag")),
        value=ValueSpec("x", grid, moments=2),
    )
    combined = run_partials(LocalTaskPool(), filesystem, fragments, plan)

    # The same statistics computed by pyarrow on the whole table at once.
    kept = data.filter(pc.is_in(data["region"], value_set=pa.array(["a", "b", "c"])))
    x = pc.cast(kept["x"], pa.float64())
    usable = pc.fill_null(pc.and_(pc.is_valid(x), pc.invert(pc.is_nan(x))), False)
    filled = pc.if_else(usable, x, 0.0)
    units, squares = grid.quantise(filled)
    null = pa.scalar(None, pa.int64())
    exact = (
        pa.table(
            {
                "region": kept["region"],
                "flag": kept["flag"],
                "u": pc.if_else(usable, units, null),
                "s": pc.if_else(usable, squares, null),
            }
        )
        .group_by(["region", "flag"])
        .aggregate([([], "count_all"), ("u", "count"), ("u", "sum"), ("s", "sum")])
    )
    assert len(combined) == exact.num_rows == 6
    for row in exact.to_pylist():
        stats = combined[(row["region"], row["flag"])]
        assert (stats.rows, stats.values, stats.units, stats.squares) == (
            row["count_all"],
            row["u_count"],
            row["u_sum"],
            row["s_sum"],
        )


def test_histogram_bins_and_quantile_codes(fragmented) -> None:
    filesystem, path, data = fragmented
    fragments = file_fragments(filesystem, path, row_groups_per_task=2)
    candidates = tuple(float(v) for v in range(0, 20))
    plan = PartialPlan(
        bins=BinSpec("n", (0.0, 5.0, 10.0, 20.0)),
        value=ValueSpec("n", Grid.centred(0.0, 19.0), candidates=candidates),
    )
    combined = run_partials(LocalTaskPool(), filesystem, fragments, plan)
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
        PartialPlan(
            value=ValueSpec(
                "v", Grid.centred(0.0, 10.0), candidates=tuple(float(c) for c in candidates)
            )
        ),
    )[()]
    for alpha, ours in ((0.5, (1, 2)), (0.3, (3, 10)), (0.9, (9, 10))):
        reference = dp.t.make_quantile_score_candidates(
            dp.vector_domain(dp.atom_domain(T="i64")),
            dp.symmetric_distance(),
            candidates=candidates,
            alpha=alpha,
        )
        theirs = reference(values)
        mine = stats.quantile_scores(len(candidates), ours)
        ratio = reference.map(1) // max(ours[0], ours[1] - ours[0])
        assert [m * ratio for m in mine] == theirs


def test_quantised_values_stay_on_the_int64_grid() -> None:
    for lower, upper in ((0.0, 1e6), (-3.5, 2.0), (0.0, 0.0), (-(2.0**52), 2.0**52), (1e-9, 2e-9)):
        for grid in (Grid.for_sum(lower, upper), Grid.centred(lower, upper)):
            values = pa.array([lower, upper, (lower + upper) / 2, lower - 1e9, upper + 1e9])
            units, squares = grid.quantise(values)
            assert max(abs(u) for u in units.to_pylist()) <= 2**GRID_BITS
            assert max(squares.to_pylist()) <= 2**GRID_BITS
            assert grid.max_units >= max(abs(u) for u in units.to_pylist())
            assert grid.max_square_units >= max(squares.to_pylist())


# --- the dense (numpy) path, the shared grid and the memo ------------------------------------


def messy_table(rows: int, seed: int = 11) -> pa.Table:
    """Keys with nulls and undeclared values; values with nulls, NaN, infinities, values out
    of bounds and exact ties half-way between grid points."""
    rng = random.Random(seed)
    step = Grid.for_sum(-50.0, 150.0).step
    values: list[float | None] = []
    for i in range(rows):
        roll = i % 11
        if roll == 0:
            values.append(None)
        elif roll == 1:
            values.append(math.nan)
        elif roll == 2:
            values.append(rng.choice([math.inf, -math.inf, 1e9, -1e9]))
        elif roll in (3, 4):
            values.append((rng.randrange(-1000, 1000) + 0.5) * step)  # a tie
        else:
            values.append(rng.uniform(-60, 160))
    regions = [rng.choice(["a", "b", "c", "zz", None]) for _ in range(rows)]
    return pa.table(
        {
            "region": regions,
            "region_dict": pa.array(regions).dictionary_encode(),
            "flag": [None if i % 13 == 0 else rng.random() < 0.3 for i in range(rows)],
            "n": [rng.randrange(0, 6) for _ in range(rows)],
            "x": pa.array(values, pa.float64()),
            "i": pa.array(
                [None if i % 7 == 0 else rng.randrange(-80, 200) for i in range(rows)], pa.int64()
            ),
        }
    )


@pytest.mark.parametrize(
    "keys",
    [
        (),
        (KeySpec("region", ("a", "b", "c")),),
        (KeySpec("region_dict", ("c", "a", "nowhere")),),
        (
            KeySpec("region_dict", ("a", "b", "c")),
            KeySpec("flag", (False, True)),
            KeySpec("n", (0, 2, 5)),
        ),
    ],
)
@pytest.mark.parametrize("column", ["x", "i"])
def test_dense_path_equals_the_general_pyarrow_path(keys, column) -> None:
    from sandbox.engine.partials import dense_eligible, dense_partial, general_partial

    data = messy_table(3_000)
    chunked = pa.concat_tables([data.slice(0, 1_000), data.slice(1_000)])  # several chunks
    for grid in (
        Grid.for_sum(-50.0, 150.0),
        Grid.centred(-50.0, 150.0),
        Grid.centred(0.0, 1.0),
        Grid.for_sum(-3.0, -1.0),
    ):
        for moments in (0, 1, 2):
            plan = PartialPlan(keys=keys, value=ValueSpec(column, grid, moments))
            assert dense_eligible(plan)
            for source in (data, chunked):
                assert dense_partial(source, plan) == general_partial(decoded(source), plan)
    count_plan = PartialPlan(keys=keys)
    assert dense_partial(data, count_plan) == general_partial(decoded(data), count_plan)


def decoded(data: pa.Table) -> pa.Table:
    """Dictionary columns as plain ones (the general path reads them so)."""
    return pa.table(
        {
            name: data[name].cast(data[name].type.value_type)
            if pa.types.is_dictionary(data[name].type)
            else data[name]
            for name in data.column_names
        }
    )


def test_dense_path_reads_string_keys_dictionary_encoded(tmp_path: Path) -> None:
    from sandbox.engine.partials import Fragment, compute_partial, general_partial

    data = messy_table(4_000)
    path = str(tmp_path / "m.parquet")
    pq.write_table(data, path, row_group_size=500)
    plan = PartialPlan(
        keys=(KeySpec("region", ("a", "b", "c")), KeySpec("flag", (True,))),
        value=ValueSpec("x", Grid.centred(-50.0, 150.0), 2),
    )
    fs = pafs.LocalFileSystem()
    assert compute_partial(fs, Fragment(path), plan) == general_partial(data, plan)
    assert compute_partial(fs, Fragment(path, (1, 3)), plan) == general_partial(
        pa.concat_tables([data.slice(500, 500), data.slice(1500, 500)]), plan
    )


def test_numpy_quantisation_is_bit_for_bit_the_pyarrow_one() -> None:
    rng = random.Random(3)
    for lower, upper in (
        (0.0, 200_000.0),
        (-3.5, 2.0),
        (1e-9, 2e-9),
        (-(2.0**52), 2.0**52),
        (7.0, 7.0),
        (-1e-300, 1e-300),
    ):
        for grid in (Grid.for_sum(lower, upper), Grid.centred(lower, upper)):
            span = upper - lower
            values = [lower + span * rng.random() for _ in range(2_000)]
            values += [(k + 0.5) * grid.step for k in range(-50, 50)]  # ties
            values += [lower, upper, lower - 1.0, upper + 1.0]
            array = pa.array(values, pa.float64())
            units, squares = grid.quantise(array)
            clamped, raw = grid.raw_numpy(array.to_numpy())
            assert (raw.astype("int64") - grid.offset_units).tolist() == units.to_pylist()
            assert grid.squares_numpy(clamped).astype("int64").tolist() == squares.to_pylist()


def test_sum_and_mean_grids_share_raw_units_and_keep_their_own_sensitivity() -> None:
    for lower, upper in ((0.0, 200_000.0), (-3.5, 2.0), (10.0, 11.0), (-7.0, -7.0)):
        plain, centred = Grid.for_sum(lower, upper), Grid.centred(lower, upper)
        assert plain.raw_key == centred.raw_key and plain.offset_units == 0
        values = pa.array([lower + (upper - lower) * i / 997 for i in range(998)])
        plain_units, _ = plain.quantise(values)
        centred_units, _ = centred.quantise(values)
        # centred units are the raw units shifted by an integer...
        assert [
            p - centred.offset_units for p in plain_units.to_pylist()
        ] == centred_units.to_pylist()
        # ...and each grid's sensitivity bounds its own units (reached at a bound).
        assert plain.max_units == max(1, max(abs(u) for u in plain_units.to_pylist()))
        assert centred.max_units == max(1, max(abs(u) for u in centred_units.to_pylist()))
        assert centred.max_units * centred.step <= (upper - lower) / 2 + centred.step


def test_the_memo_derives_count_and_mean_from_one_sum_pass() -> None:
    from sandbox.engine.memo import PartialMemo
    from sandbox.engine.partials import partial_of_table

    data = messy_table(2_000)
    keys = (KeySpec("region", ("a", "b", "c")),)
    memo = PartialMemo()
    sum_plan = PartialPlan(keys=keys, value=ValueSpec("x", Grid.for_sum(-50.0, 150.0), 1))
    memo.put("v1", sum_plan, partial_of_table(data, sum_plan))
    for plan in (
        PartialPlan(keys=keys),
        PartialPlan(keys=keys, value=ValueSpec("x", Grid.centred(-50.0, 150.0), 1)),
        PartialPlan(keys=keys, value=ValueSpec("x", Grid.centred(-50.0, 150.0), 0)),
    ):
        assert memo.get("v1", plan) == partial_of_table(data, plan)
    # Not derivable: other data, bounds, column, keys, or more moments than were computed.
    for data_id, plan in (
        ("v2", PartialPlan(keys=keys)),
        ("v1", PartialPlan(keys=keys, value=ValueSpec("x", Grid.for_sum(-50.0, 151.0), 1))),
        ("v1", PartialPlan(keys=keys, value=ValueSpec("i", Grid.for_sum(-50.0, 150.0), 1))),
        ("v1", PartialPlan(keys=(KeySpec("region", ("a", "b")),))),
        ("v1", PartialPlan(keys=keys, value=ValueSpec("x", Grid.centred(-50.0, 150.0), 2))),
    ):
        assert memo.get(data_id, plan) is None
    assert (memo.hits, memo.misses) == (3, 5)


def test_the_memo_is_bounded() -> None:
    from sandbox.engine.memo import PartialMemo
    from sandbox.engine.partials import GroupStats

    memo = PartialMemo(max_entries=3, max_groups=10)
    for i in range(5):
        memo.put(i, PartialPlan(), {(): GroupStats(rows=i)})
    assert memo.get(0, PartialPlan()) is None and memo.get(4, PartialPlan()) is not None
    memo.put("big", PartialPlan(), {(k,): GroupStats(rows=1) for k in range(11)})
    assert memo.get("big", PartialPlan()) is None
