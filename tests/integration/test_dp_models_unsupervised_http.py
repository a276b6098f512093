"""DP k-means, PCA and naive Bayes over HTTP on a real sandbox backend (bwrap), with Ray,
under ``auto_dp``.

A model calling ``ctx.kmeans``/``pca``/``naive_bayes`` and the vetted ``kmeans``, ``pca``
and ``naive_bayes`` models run as DP jobs: the fits are computed on the trusted side,
released without review (their reports pass the DP release checks) and charged exactly
their epsilon. Bad vetted parameters are a 422 naming the parameter, and a model call the
engine refuses (no ``k``, no component) fails the job; neither charges anything.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pyarrow as pa
import pytest

from sandbox.policies.budget import PrivacyCost
from tests.support import auto_dp
from tests.support.auto_dp import auto_dp_world, bwrap_server
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.server import LiveServer
from tests.support.world import World

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap"),
]

DATASET = "clusters_auto"
INCOME = {"income": [0, 200_000]}
CENTRES = {"North": (30, 40_000), "East": (45, 90_000), "South": (60, 150_000)}

HANDLE_MODEL = '''"""DP k-means, PCA and naive Bayes through the ctx handle."""


def run(ctx):
    people = ctx.dataset("clusters_auto")
    bounds = {"age": [20, 70], "income": [0, 200000]}
    return {
        "kmeans": people.kmeans(["age", "income"], k=3, bounds=bounds, epsilon=0.5),
        "pca": people.pca(["age", "income"], n_components=1, bounds=bounds, epsilon=0.25),
        "bayes": people.naive_bayes("district", ["age", "income"], bounds=bounds, epsilon=1),
    }
'''

NO_K_MODEL = '''"""k-means without its number of clusters."""


def run(ctx):
    return ctx.dataset("clusters_auto").kmeans(["age"], epsilon=0.5)
'''

NO_COMPONENT_MODEL = '''"""PCA with no component to find."""


def run(ctx):
    return ctx.dataset("clusters_auto").pca(["age", "income"], n_components=0, epsilon=0.5)
'''


def people(rows: int = 900) -> pa.Table:
    """Three well-separated groups, one per district, in age and income."""
    base = people_table(rows)
    districts = base["district"].to_pylist()
    ages = [CENTRES[d][0] + (i * 7) % 11 - 5 for i, d in enumerate(districts)]
    incomes = [CENTRES[d][1] + float((i * 37) % 10_000 - 5_000) for i, d in enumerate(districts)]
    base = base.set_column(2, "age", pa.array(ages, pa.int64()))
    return base.set_column(3, "income", pa.array(incomes))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with bwrap_server(
        tmp_path_factory.mktemp("clusters-ray"), tmp_path_factory.mktemp("clusters") / "var"
    ) as live:
        yield live


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    return auto_dp_world(server, DATASET, people())


def remaining(world: World) -> PrivacyCost:
    return auto_dp.remaining(world, DATASET)


def run_job(world: World, **submission: Any) -> dict[str, Any]:
    return auto_dp.run_job(world, DATASET, **submission)


def test_the_handle_models_are_auto_released_and_charged_exactly(world: World) -> None:
    before = remaining(world)
    done = run_job(world, source=HANDLE_MODEL)
    assert done["state"] == "released" and done["backend"] == "bwrap", done
    kmeans, pca, bayes = (done["result"][k] for k in ("kmeans", "pca", "bayes"))
    assert kmeans["features"] == ["age", "income"] and len(kmeans["centroids"]) == 3
    for age, income in kmeans["centroids"]:
        assert 20 <= age <= 70 and 0 <= income <= 200_000
    assert len(kmeans["cluster_sizes"]) == 3
    assert len(pca["components"]) == 1 and len(pca["components"][0]) == 2
    assert bayes["classes"] == ["North", "South", "East"]  # the declared categories
    ages = dict(zip(bayes["classes"], (m[0] for m in bayes["means"]), strict=True))
    assert ages["North"] < ages["East"] < ages["South"]  # groups 15 years apart
    assert [r["operation"] for r in done["releases"]] == ["kmeans", "pca", "naive_bayes"]
    assert all(r["mechanisms"][0]["part"] == "model" for r in done["releases"])
    assert all(r["model"]["library"].startswith("diffprivlib") for r in done["releases"])
    assert before.loss - remaining(world).loss == Fraction(7, 4)
    assert SECRET_MARKER not in str(done)


VETTED: dict[str, dict[str, Any]] = {
    "kmeans": {"x": ["age", "income"], "lower": [20, 0], "upper": [70, 200_000], "k": 3},
    "pca": {"x": ["age", "income"], "lower": [20, 0], "upper": [70, 200_000]},
    "naive_bayes": {"y": "district", "x": ["age", "income"], "lower": [20, 0], "upper": [70, 2e5]},
}


@pytest.mark.parametrize("name", sorted(VETTED))
def test_the_vetted_models_are_listed_run_and_charge_their_epsilon(world: World, name: str) -> None:
    with world.api("user") as api:
        listed = {m["name"] for m in api.list_algorithms()}
    assert name in listed
    before = remaining(world)
    done = run_job(world, model=name, params={"dataset": DATASET, **VETTED[name], "epsilon": 0.2})
    assert done["state"] == "released", done
    assert done["result"]["dataset"] == DATASET
    assert [r["operation"] for r in done["releases"]] == [name]
    assert before.loss - remaining(world).loss == Fraction(1, 5)
    assert SECRET_MARKER not in str(done)


@pytest.mark.parametrize(
    ("name", "params", "needle"),
    [
        ("kmeans", {"k": 1}, "k"),
        ("kmeans", {"k": 51}, "k"),
        ("kmeans", {"iterations": 0}, "iterations"),
        ("kmeans", {"size_share": 0.9}, "size_share"),
        ("pca", {"n_components": 0}, "n_components"),
        ("pca", {"mean_share": 2}, "mean_share"),
        ("naive_bayes", {"x": []}, "x"),
        ("naive_bayes", {"epsilon": 50}, "epsilon"),
        ("naive_bayes", {"priors": [0.5]}, "priors"),
    ],
)
def test_bad_vetted_parameters_are_a_422_naming_them_and_charge_nothing(
    world: World, name: str, params: dict[str, Any], needle: str
) -> None:
    before = remaining(world)
    body = {
        "datasets": [DATASET],
        "model": name,
        "params": {"dataset": DATASET, **VETTED[name], **params},
    }
    with world.client("user") as user:
        response = user.post("/v1/jobs", json=body)
    assert response.status_code == 422, response.text
    assert needle in response.json()["message"], response.json()
    assert remaining(world) == before


@pytest.mark.parametrize(
    ("source", "call", "words"),
    [
        (NO_K_MODEL, "kmeans", "k=<number of clusters"),
        (NO_COMPONENT_MODEL, "pca", "n_components must be from 1"),
    ],
)
def test_a_refused_model_call_fails_the_job_and_charges_nothing(
    world: World, source: str, call: str, words: str
) -> None:
    before = remaining(world)
    done = run_job(world, source=source)
    assert done["state"] == "failed", done
    assert done["progress"]["refusals"] == [{"call": call, "reason": "refused"}]
    assert remaining(world) == before
    with world.api("reviewer") as api:
        errors = api.get_job(int(done["id"]))["errors"]
    assert any(words in e for e in errors), errors
    assert SECRET_MARKER not in str(errors)
