"""DP models over HTTP on a real sandbox backend (bwrap), with Ray, under ``auto_dp``.

A model calling ``ctx`` model methods and the vetted ``linear_regression`` and
``logistic_regression`` models run as DP jobs: the fits are computed on the trusted side,
released without review under ``auto_dp`` (their reports pass the DP release checks), and
charged exactly their epsilon. Bad vetted parameters are a 422 naming the parameter; a model
whose call is refused (an identifier column, a budget it cannot pay) fails with the
refusal, and neither charges anything.
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

DATASET = "models_auto"

HANDLE_MODEL = '''"""A DP linear and a DP logistic regression through the ctx handle."""


def run(ctx):
    people = ctx.dataset("models_auto").where(["age", ">=", 25])
    linear = people.linear_regression(
        "income", ["age", "district"], bounds={"income": [20000, 81000], "age": [20, 80]},
        epsilon=1,
    )
    logistic = people.logistic_regression(
        "district", ["age", "income"], positive="North",
        bounds={"income": [0, 200000]}, epsilon=0.25,
    )
    return {"linear": linear, "logistic": logistic}
'''

IDENTIFIER_MODEL = '''"""A regression on the privacy unit."""


def run(ctx):
    return ctx.dataset("models_auto").linear_regression("income", ["pid"], epsilon=0.5)
'''

GREEDY_MODEL = '''"""A regression above the per-query cap."""


def run(ctx):
    return ctx.dataset("models_auto").linear_regression("income", ["age"], epsilon=4.5)
'''


def people(rows: int = 3_000) -> pa.Table:
    """``people_table`` with an income that depends on age (income = 1000 * age + noise)."""
    base = people_table(rows)
    ages = base["age"].to_pylist()
    incomes = [1_000.0 * age + (i * 37) % 500 for i, age in enumerate(ages)]
    return base.set_column(3, "income", pa.array(incomes))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with bwrap_server(
        tmp_path_factory.mktemp("models-ray"), tmp_path_factory.mktemp("models") / "var"
    ) as live:
        yield live


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    return auto_dp_world(server, DATASET, people())


def remaining(world: World) -> PrivacyCost:
    return auto_dp.remaining(world, DATASET)


def run_job(world: World, **submission: Any) -> dict[str, Any]:
    return auto_dp.run_job(world, DATASET, **submission)


def test_models_through_the_handle_are_auto_released_and_charged_exactly(world: World) -> None:
    before = remaining(world)
    done = run_job(world, source=HANDLE_MODEL)
    assert done["state"] == "released" and done["backend"] == "bwrap", done
    linear, logistic = done["result"]["linear"], done["result"]["logistic"]
    assert linear["features"] == ["age", "district=South", "district=East"]
    assert 500 < linear["coefficients"]["age"] < 1_500  # the truth is 1000 per year
    assert 0.0 <= linear["r_squared"] <= 1.0
    assert logistic["classes"] == ["not North", "North"] and logistic["positive"] == "North"
    assert [r["operation"] for r in done["releases"]] == [
        "linear_regression",
        "logistic_regression",
    ]
    assert all(r["mechanisms"][0]["part"] == "model" for r in done["releases"])
    assert done["releases"][0]["model"]["bounds"]["age"] == [20, 80]
    assert done["releases"][1]["model"]["bounds"]["age"] == [0, 110]  # declared bounds
    assert done["releases"][0]["transformations"][-1]["step"] == "where"
    assert before.loss - remaining(world).loss == Fraction(5, 4)
    assert SECRET_MARKER not in str(done)


@pytest.mark.parametrize("name", ["linear_regression", "logistic_regression"])
def test_the_vetted_models_are_listed_run_and_charge_their_epsilon(world: World, name: str) -> None:
    with world.api("user") as api:
        listed = {m["name"] for m in api.list_algorithms()}
    assert name in listed
    params: dict[str, Any] = {
        "dataset": DATASET,
        "x": ["age"],
        "lower": [20],
        "upper": [80],
        "epsilon": 0.2,
    }
    if name == "linear_regression":
        params.update(y="income", y_lower=0, y_upper=200_000, categorical=["district"])
    else:
        params.update(y="district", positive="South")
    before = remaining(world)
    done = run_job(world, model=name, params=params)
    assert done["state"] == "released", done
    assert done["result"]["dataset"] == DATASET and "age" in done["result"]["coefficients"]
    assert [r["operation"] for r in done["releases"]] == [name]
    assert before.loss - remaining(world).loss == Fraction(1, 5)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"epsilon": 50}, "epsilon"),
        ({"x": 3}, "x"),
        ({"lower": ["a"]}, "lower"),
        ({"y": None}, "y"),
        ({"nope": 1}, "nope"),
    ],
)
def test_bad_vetted_parameters_are_a_422_naming_them_and_charge_nothing(
    world: World, params: dict[str, Any], needle: str
) -> None:
    before = remaining(world)
    body = {
        "datasets": [DATASET],
        "model": "linear_regression",
        "params": {"dataset": DATASET, "y": "income", "x": ["age"], **params},
    }
    with world.client("user") as user:
        response = user.post("/v1/jobs", json=body)
    assert response.status_code == 422, response.text
    assert needle in response.json()["message"], response.json()
    assert remaining(world) == before


@pytest.mark.parametrize(
    ("source", "reason", "words"),
    [
        (IDENTIFIER_MODEL, "refused", "'pid' is an identifier"),
        (GREEDY_MODEL, "budget", "per-query cap"),
    ],
)
def test_a_refused_model_call_fails_the_job_and_charges_nothing(
    world: World, source: str, reason: str, words: str
) -> None:
    before = remaining(world)
    done = run_job(world, source=source)
    assert done["state"] == "failed", done
    assert done["progress"]["refusals"] == [{"call": "linear_regression", "reason": reason}]
    assert remaining(world) == before
    with world.api("reviewer") as api:
        errors = api.get_job(int(done["id"]))["errors"]
    assert any(words in e for e in errors), errors
    assert SECRET_MARKER not in str(errors)
