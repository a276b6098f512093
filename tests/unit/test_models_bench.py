"""The models benchmark's measures, its data generator, and a tiny run of its harness.

The platform path needs Ray and a registered dataset (minutes): the smoke run covers the
library and the floor, the scoring and the summary, at 3,000 rows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from benchmarks.models import metrics
from benchmarks.models.data import ensure
from benchmarks.models.spec import CLASSES, FEATURES, SYNTH_COLUMNS, SYNTH_DOMAINS


def test_subspace_error_is_0_for_the_same_plane_and_1_for_an_orthogonal_one() -> None:
    plane = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    rotated = [[0.6, 0.8, 0.0, 0.0], [-0.8, 0.6, 0.0, 0.0]]
    assert metrics.subspace_error(rotated, plane) == pytest.approx(0.0, abs=1e-12)
    other = [[0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    assert metrics.subspace_error(other, plane) == pytest.approx(1.0)


def test_total_variation_of_marginals() -> None:
    codes = np.array([[0, 0], [0, 1], [1, 1], [1, 1]])
    same = metrics.total_variation(
        metrics.marginals(codes, [2, 2]), metrics.marginals(codes, [2, 2])
    )
    assert same["tvd_mean"] == 0.0
    flipped = metrics.marginals(1 - codes, [2, 2])
    tvd = metrics.total_variation(metrics.marginals(codes, [2, 2]), flipped)
    assert tvd["tvd_1way_mean"] == pytest.approx(0.25)  # (0.5, 0.5) vs (0.5, 0.5); (.25,.75)
    assert 0.0 < tvd["tvd_mean"] <= tvd["tvd_max"] <= 1.0


def test_coefficient_error_and_kmeans_cost() -> None:
    assert metrics.coefficient_error([1.1, 2.0], [1.0, 2.0]) == pytest.approx(0.1 / 5**0.5)
    rows = np.array([[0.0, 0.0], [2.0, 0.0]])
    assert metrics.kmeans_cost(rows, [[0.0, 0.0], [2.0, 0.0]]) == 0.0
    assert metrics.kmeans_cost(rows, [[1.0, 0.0]]) == pytest.approx(2.0)


def test_the_generated_table_is_seeded_and_bounded(tmp_path: Path) -> None:
    first = pq.read_table(ensure(2_000, tmp_path / "a"))
    again = pq.read_table(ensure(2_000, tmp_path / "b"))
    assert first.equals(again)
    for feature in FEATURES:
        values = first[feature].to_numpy()
        assert values.min() >= -5.0 and values.max() <= 5.0
    assert set(first["klass"].to_pylist()) <= set(CLASSES)
    for column in SYNTH_COLUMNS:
        assert set(first[column].to_pylist()) <= set(SYNTH_DOMAINS[column])
    assert first["person_id"].to_pylist() == list(range(2_000))


@pytest.mark.slow
def test_a_tiny_run_of_the_harness(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.models.run", "--rows", "3000", "--repeats", "2"]
        + ["--paths", "library,sklearn", "--families", "linear,pca,naive_bayes"]
        + ["--epsilons", "1", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "models accuracy vs library: n/a (no family measured on both paths)"
    saved = json.loads((tmp_path / "models-results-3000.json").read_text())
    rows = {(r["family"], r["path"], r["epsilon"]): r for r in saved["results"]}
    assert set(rows) == {
        (family, path, epsilon)
        for family in ("linear", "pca", "naive_bayes")
        for path, epsilon in (("library", 1.0), ("sklearn", None))
    }
    for (_, path, _), row in rows.items():
        assert row["errors"]["error"]["n"] == 2 and row["peak_mb"] > 0
        if path == "sklearn":  # the floor is the reference: no error of its own
            assert row["errors"]["error"]["mean"] == pytest.approx(0.0, abs=0.02)
        else:
            assert row["errors"]["error"]["mean"] > 0
    assert not saved["failures"]
