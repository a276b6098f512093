"""DP models on rows split over several fragments: the statistics are summed in Ray tasks and
the noise added once, with the same mechanism as the single-process fit.

With the library's noise seeded (the fitters' test-only ``random_state``) and OpenDP's counts
made exact (the engine tests' way: :class:`Calibrated` releasing its input), the release
of the per-fragment path equals the single-process one: first for the fitters alone on
rows split in memory, then through the engine on a real local Ray, where the bounded copy
has several fragments and the tasks hand back only statistics.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from sandbox.engine import QueryEngine
from sandbox.engine.compute import RayTaskPool
from sandbox.engine.measurements import Calibrated
from sandbox.engine.models import kmeans, linear, naive_bayes, pca, registry
from sandbox.engine.models.diffprivlib_compat import diffprivlib
from sandbox.engine.models.inputs import ModelInput
from sandbox.engine.models.statistics import gather_in_memory
from tests.engine.conftest import Census
from tests.engine.models.release_audit import leak_warnings_are_errors  # noqa: F401
from tests.support.factories import GRANT, make_policy, new_ledger

SEED = 11
BOUNDS = {"income": [0, 100_000], "age": [18, 80]}
BOUND = 5
"""A contribution bound no other engine test uses: its bounded copy is built here, in
fragments of :data:`BUCKET_ROWS` rows."""
BUCKET_ROWS = 1_000


@pytest.fixture
def exact_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenDP's measurements release their exact input (they take no seed)."""

    def exact(self: Calibrated, value: Any) -> Any:
        return dict(value) if isinstance(value, dict) else list(value)

    monkeypatch.setattr(Calibrated, "__call__", exact)


@pytest.fixture
def exact_bingham(monkeypatch: pytest.MonkeyPatch) -> None:
    """PCA's eigenvectors without their noise: the library's Bingham sampler (in the module
    both paths take it from) returns the top eigenvector of its matrix.

    Seeded, the sampler is not comparable across paths: its rejection steps turn a change
    of one rounding in the matrix (the library's own answer for the same rows in another
    order) into another accepted draw, so another vector. The eigenvalues and the DP mean
    keep their seeded noise.
    """

    class Exact:
        def __init__(self, **_: Any) -> None:
            pass

        def randomise(self, matrix: Any) -> Any:
            vector = np.linalg.eigh(matrix)[1][:, -1]
            return vector if vector[np.argmax(np.abs(vector))] > 0 else -vector

    monkeypatch.setattr(diffprivlib.models.utils, "Bingham", Exact)


def same(left: Any, right: Any, tolerance: float = 1e-7) -> None:
    """Equal released values, floats to rounding of the summation order."""
    if isinstance(left, dict):
        assert isinstance(right, dict) and list(left) == list(right)
        for key in left:
            same(left[key], right[key], tolerance)
    elif isinstance(left, list):
        assert isinstance(right, list) and len(left) == len(right)
        for a, b in zip(left, right, strict=True):
            same(a, b, tolerance)
    elif isinstance(left, float):
        assert right == pytest.approx(left, rel=tolerance, abs=tolerance)
    else:
        assert left == right


def split(data: ModelInput, pieces: int) -> list[ModelInput]:
    """``data``'s rows in ``pieces`` parts (one of them empty), as fragments would hold them."""
    edges = np.linspace(0, data.rows, pieces, dtype=int)
    parts = [
        dataclasses.replace(
            data,
            features=data.features[a:b],
            target=None if data.target is None else data.target[a:b],
        )
        for a, b in zip([0, *edges], [*edges, data.rows], strict=True)
    ]
    assert parts[0].rows == 0
    return parts


def public(data: ModelInput) -> ModelInput:
    return split(data, 2)[0]


def rows(n: int = 1_500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    x = rng.uniform([0.0, -5.0, 10.0], [1.0, 5.0, 20.0], (n, 3))
    return x, x @ np.array([2.0, -0.5, 0.3]) + rng.normal(0, 0.2, n)


BOX = ((0.0, 1.0), (-5.0, 5.0), (10.0, 20.0))
NAMES = ("a", "b", "c")


def test_linear_regression_from_summed_cross_products_is_the_library_fit() -> None:
    x, y = rows()
    data = ModelInput(x, NAMES, BOX, 1, np.clip(y, -5, 10), "y", (-5.0, 10.0))
    single = linear.fit(data, 0.8, random_state=SEED)
    spread = linear.fit_distributed(
        gather_in_memory(split(data, 4)), public(data), 0.8, random_state=SEED
    )
    same(single.values, spread.values)
    other = linear.fit_distributed(
        gather_in_memory(split(data, 4)), public(data), 0.8, random_state=SEED + 1
    )
    assert other.values["coefficients"] != single.values["coefficients"]


@pytest.mark.usefixtures("exact_counts", "exact_bingham")
def test_pca_from_summed_moments_is_the_single_process_fit() -> None:
    x, _ = rows()
    data = ModelInput(x, NAMES, BOX, 1)
    single = pca.fit(data, 1.0, n_components=2, random_state=SEED)
    spread = pca.fit_distributed(
        gather_in_memory(split(data, 3)), public(data), 1.0, n_components=2, random_state=SEED
    )
    same(single.values, spread.values)


@pytest.mark.usefixtures("exact_counts")
def test_naive_bayes_from_summed_class_sums_is_the_single_process_fit() -> None:
    x, y = rows()
    target = (y > np.median(y)).astype(np.int64) + (y > np.quantile(y, 0.9))
    data = ModelInput(x, NAMES, BOX, 1, target, "level", None, ("low", "mid", "high"))
    single = naive_bayes.fit(data, 1.0, random_state=SEED)
    spread = naive_bayes.fit_distributed(
        gather_in_memory(split(data, 5)), public(data), 1.0, random_state=SEED
    )
    same(single.values, spread.values)


@pytest.mark.usefixtures("exact_counts")
def test_kmeans_from_per_step_cluster_sums_is_the_single_process_fit() -> None:
    x, _ = rows()
    data = ModelInput(x, NAMES, BOX, 1)
    single = kmeans.fit(data, 1.0, k=3, iterations=4, random_state=SEED)
    spread = kmeans.fit_distributed(
        gather_in_memory(split(data, 4)), public(data), 1.0, k=3, iterations=4, random_state=SEED
    )
    same(single.values, spread.values)


# --- through the engine, on Ray ----------------------------------------------------------


class RecordingPool(RayTaskPool):
    """Ray tasks, with what every task handed back kept for inspection."""

    def __init__(self, census: Census) -> None:
        super().__init__(census.platform.settings)
        self.returned: list[tuple[str, Any]] = []

    def map(self, fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]]) -> list[Any]:
        results = super().map(fn, calls)
        self.returned += [(fn.__name__, result) for result in results]
        return results


def seeded(monkeypatch: pytest.MonkeyPatch, call: str, *, distributed: bool) -> None:
    """The family ``call`` with the library's noise seeded; without its per-fragment fit
    when ``distributed`` is false (so the engine fits the same rows in one process)."""
    family = registry.FAMILIES[call]
    assert family.distributed is not None
    monkeypatch.setitem(
        registry.FAMILIES,
        call,
        dataclasses.replace(
            family,
            fit=functools.partial(family.fit, random_state=SEED),
            distributed=functools.partial(family.distributed, random_state=SEED)
            if distributed
            else None,
        ),
    )


CALLS: list[tuple[str, dict[str, Any]]] = [
    ("linear_regression", {"y": "income", "x": ["age", "district"]}),
    ("pca", {"columns": ["age", "income", "district"], "n_components": 2}),
    ("naive_bayes", {"y": "district", "x": ["age", "income"]}),
    ("kmeans", {"columns": ["age", "income"], "k": 3, "iterations": 3}),
]


@pytest.fixture
def ray_engine(census: Census, ray_session: None) -> Iterator[tuple[QueryEngine, RecordingPool]]:
    pool = RecordingPool(census)
    engine = QueryEngine(
        census.platform,
        new_ledger(),
        grant=GRANT,
        policy=make_policy(bound=BOUND, unit="pid"),
        actor=census.user,
        pool=pool,
        rows_per_bucket=BUCKET_ROWS,
    )
    yield engine, pool


@pytest.mark.usefixtures("exact_counts", "exact_bingham")
@pytest.mark.parametrize(("call", "arguments"), CALLS, ids=[c for c, _ in CALLS])
def test_the_ray_tasks_statistics_give_the_single_process_release(
    census: Census,
    ray_engine: tuple[QueryEngine, RecordingPool],
    monkeypatch: pytest.MonkeyPatch,
    call: str,
    arguments: dict[str, Any],
) -> None:
    engine, pool = ray_engine
    handle = engine.dataset("census")
    assert len(handle.bounded().fragments) >= 4  # the rows span several tasks' shares

    def release(distributed: bool) -> Any:
        with monkeypatch.context() as patch:
            seeded(patch, call, distributed=distributed)
            pool.returned.clear()
            made = getattr(handle, call)(**arguments, bounds=BOUNDS, epsilon=1)
            return made, list(pool.returned)

    spread, returned = release(True)
    single, _ = release(False)
    same(single.value, spread.value)
    assert spread.report.to_dict()["model"]["computed"].startswith("per-fragment statistics")
    assert single.report.to_dict()["model"]["computed"] == "the rows fitted in one process"
    # The tasks read the rows and hand back only their statistics, a few numbers each.
    statistics = [result for name, result in returned if name == "fragment_statistics"]
    assert len(statistics) >= 2
    assert all(np.asarray(part).size <= 100 for result in statistics for part in result)
    assert not [name for name, _ in returned if name == "fragment_arrays"]
