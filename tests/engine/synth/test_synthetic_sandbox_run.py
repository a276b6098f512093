"""The vetted model ``synthetic_table`` and a hand-written model run in the strongest
sandbox backend, their ``synthesize`` calls crossing the channel to the job broker's own
``release_of`` over a real engine (registered dataset, ledger): the path of a DP job
without the job service around it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sandbox.engine import QueryEngine
from sandbox.engine.compute import LocalTaskPool
from sandbox.jobs.broker import answer_of, release_of
from sandbox.runtime.backends import Backend, default_registry
from sandbox.runtime.backends.base import Limits
from sandbox.runtime.channel import DPRequest
from sandbox.runtime.executor import run_model
from sandbox.runtime.params import validate_params
from sandbox.runtime.vetted import VettedModels
from tests.engine.conftest import SECRET, Census
from tests.support.factories import GRANT, make_policy, new_ledger


@pytest.fixture(scope="module")
def strongest(docker_engine: str) -> Backend:
    return default_registry().strongest()


# The model waits while the trusted side fits MST (JAX compiles its programs on first use).
LIMITS = dataclasses.replace(Limits(), wall_seconds=300.0)


def broker_for(engine: QueryEngine) -> Any:
    def answer(request: DPRequest) -> Any:
        return answer_of(release_of(engine, request, "test"))

    return answer


def test_the_vetted_model_runs_in_the_sandbox_and_is_charged_once(
    census: Census, strongest: Backend
) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(unit="pid"),
        actor=census.user,
        pool=LocalTaskPool(),
    )
    model = VettedModels().get("synthetic_table")
    params = validate_params(
        model.info,
        {
            "dataset": "census",
            "columns": ["district", "age", "employed"],
            "rows": 120,
            "epsilon": 1.5,
            "bins": 6,
            "bounded_columns": ["age"],
            "lower": [18],
            "upper": [77],
            "filter_column": "district",
            "filter_values": ["North", "South"],
        },
    )
    outcome = run_model(
        strongest,
        model.source,
        broker_for(engine),
        params=params,
        allowed_imports=model.imports,
        limits=LIMITS,
    )
    assert outcome.status == "ok", outcome
    value = outcome.value
    assert value["columns"] == ["district", "age", "employed"] and len(value["rows"]) == 120
    assert all(18 <= r["age"] <= 77 for r in value["rows"])
    assert SECRET not in str(value)
    [charge] = ledger.charges()
    assert charge.call == "synthesize" and charge.cost.loss == 1.5


def test_a_refused_synthesis_is_the_models_catchable_error(
    census: Census, strongest: Backend
) -> None:
    ledger = new_ledger()
    engine = QueryEngine(
        census.platform,
        ledger,
        grant=GRANT,
        policy=make_policy(unit="pid"),
        actor=census.user,
        pool=LocalTaskPool(),
    )
    source = '''"""Ask for an identifier, then group first: both refused, nothing charged."""


def run(ctx):
    people = ctx.dataset("census")
    seen = []
    try:
        people.synthesize(["pid"], epsilon=0.5)
    except DPError as exc:
        seen.append(str(exc))
    try:
        people.group_by("district").synthesize(["age"], epsilon=0.5)
    except TypeError as exc:
        seen.append(str(exc))
    return seen
'''
    outcome = run_model(strongest, source, broker_for(engine), params={}, limits=LIMITS)
    assert outcome.status == "ok", outcome
    assert "identifier" in outcome.value[0] and "before group_by" in outcome.value[1]
    assert SECRET not in str(outcome.value)
    assert ledger.charges() == []
