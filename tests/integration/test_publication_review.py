"""The authority's review before publication over the real HTTP server (Qingdao art. 10, 12;
Lianyungang art. 11-12) and the grades it approves (Wuxi art. 11-12; Lianyungang art. 8;
Xi'an art. 9).

A registered dataset is submitted: invisible and unusable to everyone but its provider and
oversight, in the authority's queue with a deadline of 2 working days; returned with a
reason the provider reads and answers by submitting again; passed, it is published with the
grade the pass approves. A new version waits the same way while the passed one stays
current. Grades select a policy floor that a dataset policy may tighten and never loosen;
until one is approved the strictest holds. Bad input is refused with a 4xx and changes
nothing; every step is audited; the overdue list and the statistics show late reviews; the
client and the CLI do the same.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sandbox.store.db import transaction
from sandbox.store.models import WorkflowStageRow
from tests.support.datafiles import (
    add_version,
    metadata,
    parquet_bytes,
    pass_review,
    people_table,
    register,
)
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import CALENDAR, World, make_eligible, today, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    make_eligible(made, "user")
    return made


def _submit(world: World, name: str, attribute: str = "conditional", **extra: Any) -> Any:
    with world.client("provider") as provider:
        return ok(
            register(
                provider,
                parquet_bytes(people_table(30)),
                metadata(name, attribute, **extra),
                publish=False,
            ),
            201,
        )


def _review(world: World, name: str, version: int, **body: Any) -> Any:
    with world.client("authority") as authority:
        return authority.post(f"/v1/datasets/{name}/versions/{version}/review", json=body)


def _audited(world: World, action: str, name: str) -> list[dict[str, Any]]:
    with world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": action, "object_id": name, "limit": 1000}
        rows = ok(auditor.get("/v1/audit", params=params))["data"]
    return [e for e in rows if e["action"] == action and e["object_id"] == name]


def _names(world: World, who: str) -> set[str]:
    with world.client(who) as client:
        return {e["name"] for e in ok(client.get("/v1/datasets"))["data"]}


def test_a_submitted_dataset_is_invisible_and_unusable_until_passed(world: World) -> None:
    entry = _submit(world, "pr_hidden", "unconditional")
    assert entry["published"] is False and entry["grade"] is None
    assert [v["review_status"] for v in entry["versions"]] == ["submitted"]
    assert "pr_hidden" in _names(world, "provider") and "pr_hidden" in _names(world, "authority")
    assert "pr_hidden" not in _names(world, "user")
    assert "pr_hidden" not in _names(world, "other_provider")
    with world.client("user") as user:
        for path in ("", "/versions", "/rows", "/download", "/preview", "/quality", "/grade"):
            refused(user.get(f"/v1/datasets/pr_hidden{path}"), 404, "pr_hidden")
    with world.client("provider") as provider:
        # the provider reads its own submission's quality report to check it
        assert ok(provider.get("/v1/datasets/pr_hidden/quality"))["version"] == 1
        refused(provider.get("/v1/datasets/pr_hidden/rows"), 404, "no published data")
    cond = _submit(world, "pr_hidden_cond")
    assert cond["published"] is False
    body = {
        "title": "t",
        "reason": "r",
        "type": "dataset",
        "datasets": ["pr_hidden_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        refused(user.post("/v1/applications", json=body), 422, "not in the catalog")

    passed = ok(_review(world, "pr_hidden", 1, outcome="pass", grade="general"))
    assert (passed["status"], passed["grade"], passed["due_on"]) == ("passed", "general", None)
    assert "pr_hidden" in _names(world, "user")
    with world.client("user") as user:
        assert ok(user.get("/v1/datasets/pr_hidden/rows?limit=3"))["version"] == 1
        assert ok(user.get("/v1/datasets/pr_hidden/grade"))["in_force"] == "general"
    assert [e["detail"]["outcome"] for e in _audited(world, "dataset.version.review", "pr_hidden")]
    assert _audited(world, "dataset.version.submit", "pr_hidden")


def test_the_queue_shows_the_2_working_day_deadline_and_late_reviews(
    world: World, live_server: LiveServer
) -> None:
    _submit(world, "pr_queue")
    expected_due = CALENDAR.add_working_days(today(), 2)
    with world.client("authority") as authority:
        queue = ok(authority.get("/v1/publication-reviews"))
        [mine] = [r for r in queue if r["dataset"] == "pr_queue"]
        assert mine["due_on"] == expected_due.isoformat()
        assert mine["working_days_left"] == 2 and mine["overdue"] is False
        assert mine["first_version"] is True and mine["provider_org"] == "Health Bureau"
        [stage] = mine["stages"]
        assert (stage["stage"], stage["assignee_role"]) == ("publication_review", "authority")
        later = (expected_due + timedelta(days=1)).isoformat()
        overdue = ok(authority.get("/v1/deadlines/overdue", params={"on": later}))["data"]
        titles = [i["title"] for i in overdue if i["stage"]["subject"] == "dataset_version"]
        assert "dataset pr_queue version 1" in titles
    with world.client("other_provider") as other:
        assert "pr_queue" not in {r["dataset"] for r in ok(other.get("/v1/publication-reviews"))}
    with world.client("user") as user:
        refused(user.get("/v1/publication-reviews"), 403)

    def stats() -> dict[str, Any]:
        with world.client("auditor") as auditor:
            return dict(ok(auditor.get("/v1/stats"))["governance"]["publication"])

    before = stats()
    platform = live_server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            session.execute(
                update(WorkflowStageRow)
                .where(
                    WorkflowStageRow.stage == "publication_review",
                    WorkflowStageRow.closed_at.is_(None),
                )
                .values(
                    due_on=today() - timedelta(days=3),
                    due_at=CALENDAR.end_of_day(today() - timedelta(days=3)),
                )
            )
    finally:
        platform.close()
    late = stats()
    assert late["overdue"] >= 1 and late["overdue"] == late["submitted"]
    assert before["overdue"] < late["overdue"]
    ok(_review(world, "pr_queue", 1, outcome="pass", grade="general"))
    with world.client("auditor") as auditor:
        figures = ok(auditor.get("/v1/stats"))["deadlines"]
    [review_figures] = [
        f
        for f in figures
        if (f["subject"], f["stage"]) == ("dataset_version", "publication_review")
    ]
    assert review_figures["working_days_allowed"] == 2 and review_figures["missed"] >= 1


def test_a_return_needs_its_reason_and_the_provider_submits_again(world: World) -> None:
    _submit(world, "pr_returned", grade="important")
    # bad input changes nothing
    refused(_review(world, "pr_returned", 1, outcome="return"), 422, "reason")
    refused(_review(world, "pr_returned", 1, outcome="nope"), 422)
    refused(_review(world, "pr_returned", 9, outcome="pass"), 404, "no version 9")
    refused(_review(world, "pr_returned", 1, outcome="pass", grade="secret"), 422)
    with world.client("provider") as provider:
        refused(
            provider.post("/v1/datasets/pr_returned/versions/1/review", json={"outcome": "pass"}),
            403,
        )
        refused(
            provider.post("/v1/datasets/pr_returned/versions/1/resubmission", json={}),
            409,
            "only a returned version",
        )
        assert ok(provider.get("/v1/datasets/pr_returned/versions/1/review"))["status"] == (
            "submitted"
        )
    returned = ok(
        _review(world, "pr_returned", 1, outcome="return", reason="the contact is not reachable")
    )
    assert (returned["status"], returned["note"]) == ("returned", "the contact is not reachable")
    refused(_review(world, "pr_returned", 1, outcome="pass"), 409, "returned")
    for who, key in (("authority", "task.assigned"), ("provider", "catalog.returned")):
        with world.client(who) as client:
            inbox = ok(client.get("/v1/notifications"))["data"]
        assert any(n["key"] == key and n["subject"]["id"] == "pr_returned" for n in inbox), who
    with world.client("provider") as provider:
        seen = ok(provider.get("/v1/datasets/pr_returned"))["versions"][0]
        assert (seen["review_status"], seen["review_note"]) == (
            "returned",
            "the contact is not reachable",
        )
        again = ok(
            provider.post(
                "/v1/datasets/pr_returned/versions/1/resubmission",
                json={"note": "contact fixed"},
            )
        )
    assert again["status"] == "submitted" and again["note"] == ""
    assert [s["outcome"] for s in again["stages"]] == ["returned", ""]
    assert "pr_returned" not in _names(world, "user")
    # the pass approves the provider's proposal: important, stricter than the shipped floor
    passed = ok(_review(world, "pr_returned", 1, outcome="pass"))
    assert passed["grade"] == "important"
    with world.client("provider") as provider:
        policy = ok(provider.get("/v1/datasets/pr_returned/policy"))["effective"]
    assert policy["row_count"]["min_count"] == 20
    assert policy["job_limits"]["raw_access_allowed"] is False


def test_a_new_version_waits_while_the_passed_one_stays_current(world: World) -> None:
    with world.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table(30)), metadata("pr_versions")), 201)
        made = ok(
            add_version(provider, "pr_versions", parquet_bytes(people_table(45)), publish=False),
            201,
        )
    assert [v["review_status"] for v in made["versions"]] == ["passed", "submitted"]
    with world.client("user") as user:
        shown = ok(user.get("/v1/datasets/pr_versions"))
        assert [v["version"] for v in shown["versions"]] == [1]
        assert ok(user.get("/v1/datasets/pr_versions/quality"))["version"] == 1
        refused(user.get("/v1/datasets/pr_versions/quality?version=2"), 404)
    with world.client("provider") as provider:
        pass_review(provider, "pr_versions", 2)
    with world.client("user") as user:
        assert ok(user.get("/v1/datasets/pr_versions/quality"))["version"] == 2


def test_ungraded_data_holds_the_strictest_floor_and_policies_never_loosen_a_grade(
    world: World,
) -> None:
    _submit(world, "pr_graded")
    raw = {"document": {"job_limits": {"raw_access_allowed": True}}}
    with world.client("provider") as provider:
        grade = ok(provider.get("/v1/datasets/pr_graded/grade"))
        assert (grade["approved"], grade["in_force"]) == (None, "core")
        effective = ok(provider.get("/v1/datasets/pr_graded/policy"))["effective"]
        assert effective["row_count"]["min_count"] == 50 and effective["review"]["reviewers"] == 2
        refused(provider.put("/v1/datasets/pr_graded/policy", json=raw), 422, "raw_access")
    refused(_review(world, "pr_graded", 1, outcome="pass"), 422, "no grade yet")
    ok(_review(world, "pr_graded", 1, outcome="pass", grade="general"))
    with world.client("provider") as provider:
        ok(provider.put("/v1/datasets/pr_graded/policy", json=raw))
        # a proposal to grade it higher holds at once, before the authority decides
        proposed = ok(provider.put("/v1/datasets/pr_graded/grade", json={"grade": "important"}))
        assert (proposed["approved"], proposed["in_force"]) == ("general", "important")
        effective = ok(provider.get("/v1/datasets/pr_graded/policy"))["effective"]
        assert effective["job_limits"]["raw_access_allowed"] is False
        assert effective["row_count"]["min_count"] == 20
        refused(provider.post("/v1/datasets/pr_graded/grade/decision", json={"approve": True}), 403)
    with world.client("authority") as authority:
        assert "pr_graded" in {g["dataset"] for g in ok(authority.get("/v1/grade-proposals"))}
        refused(
            authority.post(
                "/v1/datasets/pr_graded/grade/decision", json={"approve": True, "grade": "core"}
            ),
            422,
            "note",
        )
        decided = ok(
            authority.post("/v1/datasets/pr_graded/grade/decision", json={"approve": False})
        )
        assert (decided["approved"], decided["proposed"], decided["in_force"]) == (
            "general",
            None,
            "general",
        )
        refused(
            authority.post("/v1/datasets/pr_graded/grade/decision", json={"approve": False}),
            409,
            "no grade proposal",
        )
    assert [e["detail"]["decision"] for e in _audited(world, "dataset.grade.decide", "pr_graded")]


def test_the_authority_tightens_a_grade_level_and_never_loosens_it(world: World) -> None:
    with world.client("user") as user:
        levels = {g["grade"]: g for g in ok(user.get("/v1/grades"))}
    assert [levels[g]["label"] for g in ("general", "important", "core")] == [
        "一般",
        "重要",
        "核心",
    ]
    assert levels["core"]["in_force"]["row_count"]["min_count"] == 50
    with world.client("authority") as authority:
        refused(
            authority.put(
                "/v1/policies/grades/important", json={"document": {"row_count": {"min_count": 5}}}
            ),
            422,
            "min_count",
        )
        refused(authority.put("/v1/policies/grades/secret", json={"document": {}}), 422, "grade")
        tightened = ok(
            authority.put(
                "/v1/policies/grades/important",
                json={"document": "row_count: {min_count: 30}\n"},
            )
        )
    assert tightened["in_force"]["row_count"]["min_count"] == 30
    with world.client("user") as user:
        levels = {g["grade"]: g for g in ok(user.get("/v1/grades"))}
    # a higher grade is never looser than a lower one
    assert levels["core"]["in_force"]["row_count"]["min_count"] == 50
    assert levels["important"]["set_by"] == "authority"
    with world.client("provider") as provider:
        refused(provider.put("/v1/policies/grades/core", json={"document": {}}), 403)


def test_the_client_and_the_cli_review_submissions(world: World, tmp_path: Path) -> None:
    _submit(world, "pr_cli")
    env = {"SANDBOX_URL": world.server.url, "SANDBOX_TOKEN": world.tokens["authority"]}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sandbox.cli", "governance", *args],
            env={**world.server.env, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=REPO,
        )

    listed = cli("queue")
    assert listed.returncode == 0, listed.stderr
    assert "pr_cli" in listed.stdout
    bad = cli("review", "pr_cli", "1", "--return")
    assert bad.returncode != 0 and "reason" in bad.stderr
    done = cli("review", "pr_cli", "1", "--return", "--reason", "wrong title")
    assert done.returncode == 0 and "pr_cli version 1: returned" in done.stderr
    with world.api("provider") as provider:
        again = provider.resubmit_version("pr_cli", 1, "title fixed")
        assert again["status"] == "submitted"
    with world.api("authority") as authority:
        passed = authority.review_version("pr_cli", 1, "pass", grade="general")
        assert passed["status"] == "passed"
        assert [r["dataset"] for r in authority.publication_reviews("returned")].count(
            "pr_cli"
        ) == 0
