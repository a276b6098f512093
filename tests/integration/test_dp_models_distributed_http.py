"""A vetted DP model over HTTP on data split over several of the engine's tasks.

The server's per-task share is lowered (``SANDBOX_ENGINE_TASK_ROWS``) so that a small
dataset is larger than one task's share: the job's engine runs on Ray and its
contribution-bounded copy has several fragments. The vetted ``linear_regression`` then sums
its cross-products in Ray tasks, adds the noise once, is released under ``auto_dp`` and is
charged exactly its epsilon, as the single-process fit is.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from fractions import Fraction

import pyarrow as pa
import pytest

from tests.support import auto_dp
from tests.support.auto_dp import auto_dp_world, bwrap_server
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.server import LiveServer
from tests.support.world import World

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap"),
]

DATASET = "models_split"
ROWS = 6_000
TASK_ROWS = 1_000
"""Rows per task share: the job runs on Ray; bounding buckets of 1,500 rows give 4 fragments."""


def people() -> pa.Table:
    """``people_table`` with an income that depends on age (income = 1000 * age + noise)."""
    base = people_table(ROWS)
    incomes = [1_000.0 * age + (i * 37) % 500 for i, age in enumerate(base["age"].to_pylist())]
    return base.set_column(3, "income", pa.array(incomes))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with bwrap_server(
        tmp_path_factory.mktemp("split-ray"),
        tmp_path_factory.mktemp("split") / "var",
        {"SANDBOX_ENGINE_TASK_ROWS": str(TASK_ROWS)},
    ) as live:
        yield live


def test_a_vetted_regression_on_several_fragments_is_fitted_from_task_statistics(
    server: LiveServer,
) -> None:
    world: World = auto_dp_world(server, DATASET, people())
    before = auto_dp.remaining(world, DATASET)
    params = {
        "dataset": DATASET,
        "y": "income",
        "x": ["age"],
        "lower": [20],
        "upper": [80],
        "y_lower": 0,
        "y_upper": 100_000,
        "epsilon": 1,
    }
    done = auto_dp.run_job(world, DATASET, model="linear_regression", params=params)
    assert done["state"] == "released", done
    (release,) = done["releases"]
    assert release["operation"] == "linear_regression"
    assert release["model"]["computed"] == "per-fragment statistics of 4 fragments, noised once"
    assert 800 < done["result"]["coefficients"]["age"] < 1_200  # the truth is 1000 per year
    assert before.loss - auto_dp.remaining(world, DATASET).loss == Fraction(1)
    assert SECRET_MARKER not in str(done)
