"""Every example of docs/models.md marked ``<!-- run: dp -->`` or ``<!-- run: raw -->`` runs
as a real job (sandbox, broker, engine, checks) and ends well: the page cannot drift from
the DP handle it documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "models.md"
EXAMPLE = re.compile(r"<!-- run: (dp|raw) -->\n```python\n(.*?)```", re.S)
DATASET = "docs_people"


def examples() -> list[tuple[str, str]]:
    found = [(kind, source.replace('"people"', f'"{DATASET}"'))
             for kind, source in EXAMPLE.findall(PAGE.read_text(encoding="utf-8"))]
    assert len(found) >= 6, "the page lost its runnable examples"
    return found


@pytest.fixture(scope="module")
def world(job_server: LiveServer) -> World:
    made = build_world(job_server, {DATASET: "conditional"}, raw_policy_for=(DATASET,))
    made.grants["docs"] = grant(made, "user", [DATASET], job_kinds=["dp", "raw"])["ref"]
    return made


@pytest.mark.parametrize(("kind", "source"), examples(),
                         ids=[f"example-{i}" for i in range(len(examples()))])
def test_every_example_of_the_model_page_runs(world: World, kind: str, source: str) -> None:
    with world.api("user") as api:
        job = api.submit_job([DATASET], source=source, kind=kind)
        done = api.wait_for_job(int(job["id"]), timeout=180)
    assert done["outcome"] == "ok" and done["state"] in ("pending_review", "released"), done
    with world.api("reviewer") as reviewer:
        view = reviewer.get_review(int(job["id"]))
    assert view["result"] is not None
