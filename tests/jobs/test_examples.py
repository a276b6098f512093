"""The files in examples/ work as the README says: the dataset registers with its
dictionary, and both models dry-run on its mock data under a grant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATASET = "example_residents"


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {})
    metadata = json.loads((EXAMPLES / "residents.json").read_text(encoding="utf-8"))
    with made.api("provider") as provider:
        entry = provider.register_dataset(EXAMPLES / "residents.csv", metadata)
        assert entry["name"] == DATASET
    with made.api("authority") as authority:
        authority.review_version(DATASET, 1, "pass", grade="general")
    with made.api("provider") as provider:
        provider.set_dataset_policy(DATASET, {"job_limits": {"raw_access_allowed": True}})
    made.grants["examples"] = grant(made, "user", [DATASET], job_kinds=["dp", "raw"])["ref"]
    return made


def test_the_registered_example_keeps_its_dictionary(world: World) -> None:
    with world.api("user") as user:
        entry = user.get_dataset(DATASET)
    columns = {c["name"]: c for c in entry["dictionary"]}
    assert columns["person_id"]["classification"] == "identifier"
    assert columns["district"]["categories"] == ["Binhu", "Liangxi", "Xinwu"]


@pytest.mark.parametrize(("model", "kind"), [("dp_model.py", "dp"), ("raw_model.py", "raw")])
def test_the_example_models_dry_run(world: World, model: str, kind: str) -> None:
    with world.api("user") as user:
        outcome = user.dry_run(EXAMPLES / model, [DATASET], kind=kind)
    assert outcome["outcome"] == "ok", outcome
    assert outcome["result"] and outcome["log"]
