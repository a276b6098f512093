"""Contribution bounding: each unit keeps at most `bound` rows, once per version, atomically."""

from __future__ import annotations

import collections
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from sandbox.engine import bounding
from sandbox.engine.bounding import bounded_version, keep_mask
from sandbox.engine.compute import LocalTaskPool
from sandbox.engine.partials import read_fragment


def people(rows: int, seed: int = 3, string_units: bool = True) -> pa.Table:
    rng = random.Random(seed)
    units = [rng.randrange(0, rows // 3) for _ in range(rows)]
    unit_column: list[str | int | None] = [f"p{u}" for u in units] if string_units else list(units)
    for i in range(0, rows, 50):
        unit_column[i] = None
    return pa.table(
        {
            "pid": unit_column,
            "seq": list(range(rows)),
            "group": [rng.choice("abc") for _ in range(rows)],
        }
    )


def write(tmp_path: Path, data: pa.Table) -> str:
    path = str(tmp_path / "version.parquet")
    pq.write_table(data, path, row_group_size=500)
    return path


def read_all(filesystem: pafs.FileSystem, fragments) -> pa.Table:
    return pa.concat_tables(
        [read_fragment(filesystem, f, ["pid", "seq", "group"]) for f in fragments]
    )


def expected_kept(data: pa.Table, bound: int) -> set[int]:
    seen: collections.Counter[object] = collections.Counter()
    kept = set()
    for unit, seq in zip(data["pid"].to_pylist(), data["seq"].to_pylist(), strict=True):
        if unit is None:
            continue
        seen[unit] += 1
        if seen[unit] <= bound:
            kept.add(seq)
    return kept


@pytest.mark.parametrize("string_units", [True, False])
@pytest.mark.parametrize("rows_per_bucket", [100_000, 1_500])
def test_each_unit_keeps_its_first_rows_up_to_the_bound(
    tmp_path: Path, string_units: bool, rows_per_bucket: int
) -> None:
    data = people(6_000, string_units=string_units)
    path = write(tmp_path, data)
    filesystem = pafs.LocalFileSystem()
    result = bounded_version(
        filesystem,
        str(tmp_path / "root"),
        path,
        "f" * 64,
        "pid",
        2,
        data.num_rows,
        LocalTaskPool(),
        rows_per_bucket=rows_per_bucket,
        row_groups_per_task=3,
    )
    assert result.contribution_bound == 2
    out = read_all(filesystem, result.fragments)
    counts = collections.Counter(out["pid"].to_pylist())
    assert max(counts.values()) <= 2 and None not in counts
    assert set(out["seq"].to_pylist()) == expected_kept(data, 2)
    assert len(out) == len(set(out["seq"].to_pylist()))  # no row twice
    files = [f for f in Path(result.directory or "").iterdir() if f.suffix == ".parquet"]
    assert len(files) == (1 if rows_per_bucket > 6_000 else 4)
    assert not list((tmp_path / "root" / "_bounded" / ("f" * 64)).glob(".tmp-*"))


def test_bounded_copy_is_made_once_and_reused(tmp_path: Path, monkeypatch) -> None:
    data = people(900)
    path = write(tmp_path, data)
    filesystem = pafs.LocalFileSystem()
    args = (
        filesystem,
        str(tmp_path / "root"),
        path,
        "a" * 64,
        "pid",
        1,
        data.num_rows,
        LocalTaskPool(),
    )
    first = bounded_version(*args)
    other = bounded_version(
        filesystem, str(tmp_path / "root"), path, "a" * 64, "pid", 2, data.num_rows, LocalTaskPool()
    )
    assert other.directory != first.directory

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the kept bounded copy should have been reused")

    monkeypatch.setattr(bounding, "_build", fail)
    again = bounded_version(*args)
    assert again.fragments == first.fragments


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    data = people(900)
    path = write(tmp_path, data)
    root = tmp_path / "root"

    def broken(*_args: object, **_kwargs: object) -> tuple[str, int]:
        raise OSError("disk full")

    monkeypatch.setattr(bounding, "bound_bucket", broken)
    with pytest.raises(OSError):
        bounded_version(
            pafs.LocalFileSystem(),
            str(root),
            path,
            "b" * 64,
            "pid",
            2,
            data.num_rows,
            LocalTaskPool(),
        )
    assert [p for p in root.rglob("*") if p.is_file()] == []


def test_without_a_privacy_unit_each_row_is_a_unit(tmp_path: Path) -> None:
    data = people(3_000)
    path = write(tmp_path, data)
    result = bounded_version(
        pafs.LocalFileSystem(),
        str(tmp_path / "root"),
        path,
        "c" * 64,
        None,
        5,
        data.num_rows,
        LocalTaskPool(),
        row_groups_per_task=2,
    )
    assert result.contribution_bound == 1 and result.directory is None
    assert len(result.fragments) == 3
    assert read_all(pafs.LocalFileSystem(), result.fragments).num_rows == 3_000


def test_keep_mask_is_stable_within_a_unit() -> None:
    units = pa.array(["x", "y", "x", "x", "y", "z", "x"])
    assert keep_mask(units, 2).tolist() == [True, True, True, False, True, True, False]
    assert keep_mask(pa.array([], pa.string()), 2).tolist() == []


def test_concurrent_builds_end_with_one_complete_copy(tmp_path: Path) -> None:
    import threading

    data = people(3_000)
    path = write(tmp_path, data)
    root = tmp_path / "root"
    results: list[object] = []

    def build() -> None:
        results.append(
            bounded_version(
                pafs.LocalFileSystem(),
                str(root),
                path,
                "d" * 64,
                "pid",
                2,
                data.num_rows,
                LocalTaskPool(),
                rows_per_bucket=1_000,
            )
        )

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(r == results[0] for r in results)
    assert [p.name for p in (root / "_bounded" / ("d" * 64)).iterdir()] == ["pid-2"]
