"""The DP benchmark's join query at a tiny size: its generated tables, its exact answer, and
the sandbox engine's contender end to end (a subprocess, as the harness runs it).

Not a timing test: the figures are the benchmark's (``python -m benchmarks.dp.run``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from benchmarks.dp.data import ensure, ensure_benefits
from benchmarks.dp.join_query import exact_answer
from benchmarks.dp.run import mean_relative_error
from benchmarks.dp.spec import (
    AMOUNT_UPPER,
    BENEFIT_ROWS_PER_PERSON,
    DISTRICTS,
    JOIN_TRUNCATE,
    RESULT_KEY,
)

ROWS = 30_000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("dp-bench")
    return ensure(directory, ROWS), ensure_benefits(directory, ROWS)


def test_benefits_belong_to_the_people_and_stay_within_the_bound(
    files: tuple[Path, Path],
) -> None:
    people, benefits = (pq.read_table(f) for f in files)
    persons = set(people["person_id"].to_pylist())
    holders = benefits["person_id"].to_pylist()
    assert set(holders) <= persons
    assert 0.3 < len(set(holders)) / len(persons) < 0.7  # about half hold a benefit
    counts = pc.value_counts(benefits["person_id"]).field("counts").to_pylist()
    assert max(counts) == BENEFIT_ROWS_PER_PERSON == JOIN_TRUNCATE[1]
    assert pc.min(benefits["amount"]).as_py() > 0
    # the second call keeps the file: the same bytes, not a new draw
    again = ensure_benefits(files[0].parent, ROWS)
    assert again == files[1] and pq.read_table(again).equals(benefits)


def test_the_exact_answer_is_the_join_of_each_persons_district_with_the_benefits(
    files: tuple[Path, Path],
) -> None:
    people = pq.read_table(files[0]).to_pylist()
    district = {row["person_id"]: row["district"] for row in people}
    expected = dict.fromkeys(DISTRICTS, 0.0)
    for row in pq.read_table(files[1]).to_pylist():
        expected[district[row["person_id"]]] += min(max(row["amount"], 0.0), AMOUNT_UPPER)
    answer = exact_answer(files[0])
    assert set(answer) == set(DISTRICTS)
    for name in DISTRICTS:
        assert answer[name]["sum"] == pytest.approx(expected[name], rel=1e-12)


@pytest.mark.ray
@pytest.mark.slow
def test_the_engine_contender_answers_the_join_query(files: tuple[Path, Path]) -> None:
    """Registration of both tables, the kept joined copy, two releases through new engines
    and grants (the harness's path), each with all 32 districts."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.dp.sandbox_engine",
            "--data",
            str(files[0]),
            "--query",
            "join",
            "--repeats",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
        check=False,
    )
    lines = [json.loads(ln) for ln in done.stdout.splitlines() if RESULT_KEY in ln]
    assert lines, done.stderr[-2000:]
    summary = lines[-1]
    assert summary["ok"], summary.get("error")
    assert "one sum release of the joined rows" in summary["notes"]
    releases = [ln for ln in lines if ln.get("rep_seconds") is not None]
    assert len(releases) == 2
    exact = exact_answer(files[0])
    for release in releases:
        groups = release["groups"]
        assert set(groups) == set(DISTRICTS)
        assert all(math.isfinite(g["sum"]) for g in groups.values())
        # Laplace noise of scale 6,000 on sums of 80,000 to 500,000: a wrong join (no rows,
        # or every visit joined to each benefit) would be off by 100% or more on average
        assert mean_relative_error(groups, exact) < 0.5
        assert groups != releases[0]["groups"] or release is releases[0]  # fresh noise
