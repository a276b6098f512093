"""Quality duties over the real HTTP server (Qingdao art. 14; Wuxi art. 13): the annual
quality assessment the authority opens and the provider answers with its latest quality
report within 10 working days, the rectification it may order (10 working days, answered
with a corrected version), and the update reminders sent before a dataset's update
frequency lapses, once per lapse. Every step is audited, notified, in the statistics and
the overdue list; bad input is refused and changes nothing; the client and the CLI do the
same.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow
from tests.support.datafiles import add_version, metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import CALENDAR, World, today, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    with made.client("provider") as provider:
        for name, frequency in (
            ("qd_census", "yearly"),
            ("qd_monthly", "monthly"),
            ("qd_fresh", "monthly"),
        ):
            meta = metadata(name, update_frequency=frequency)
            ok(register(provider, parquet_bytes(people_table(30)), meta), 201)
    return made


def _quality(world: World) -> dict[str, int]:
    with world.client("auditor") as auditor:
        return dict(ok(auditor.get("/v1/stats"))["governance"]["quality"])


def _inbox(world: World, who: str) -> list[dict[str, Any]]:
    with world.client(who) as client:
        return list(ok(client.get("/v1/notifications"))["data"])


def test_an_assessment_answered_rectified_and_concluded(world: World) -> None:
    before = _quality(world)
    with world.client("provider") as provider:
        refused(provider.post("/v1/datasets/qd_census/quality-assessments", json={}), 403)
    with world.client("authority") as authority:
        refused(
            authority.post("/v1/datasets/qd_census/quality-assessments", json={"year": 1999}),
            422,
            "year",
        )
        refused(authority.post("/v1/datasets/qd_none/quality-assessments", json={}), 404)
        opened = ok(
            authority.post(
                "/v1/datasets/qd_census/quality-assessments",
                json={"request": "send this year's quality report"},
            ),
            201,
        )
        refused(authority.post("/v1/datasets/qd_census/quality-assessments", json={}), 409)
    assert (opened["status"], opened["year"]) == ("open", today().year)
    [stage] = opened["stages"]
    assert (stage["stage"], stage["assignee_role"], stage["due_on"]) == (
        "quality_answer",
        "provider",
        CALENDAR.add_working_days(today(), 10).isoformat(),
    )
    assert _quality(world)["open"] == before["open"] + 1
    assert any(
        n["key"] == "task.assigned" and n["subject"]["id"] == "qd_census"
        for n in _inbox(world, "provider")
    )
    aid = opened["id"]
    with world.client("other_provider") as other:
        refused(other.get(f"/v1/quality-assessments/{aid}"), 404)
        refused(other.post(f"/v1/quality-assessments/{aid}/answer", json={}), 404)
    with world.client("authority") as authority:
        refused(
            authority.post(
                f"/v1/quality-assessments/{aid}/conclusion", json={"conclusion": "satisfactory"}
            ),
            409,
            "only an answered one",
        )
    with world.client("provider") as provider:
        refused(provider.post(f"/v1/quality-assessments/{aid}/answer", json={"version": 7}), 404)
        answered = ok(provider.post(f"/v1/quality-assessments/{aid}/answer", json={}))
    assert (answered["status"], answered["answer_version"]) == ("answered", 1)
    report = answered["answer_report"]
    assert report["passed"] is True and "ZZSECRET" not in str(report)
    with world.client("authority") as authority:
        refused(
            authority.post(
                f"/v1/quality-assessments/{aid}/conclusion", json={"conclusion": "rectify"}
            ),
            422,
            "note",
        )
        rectify = ok(
            authority.post(
                f"/v1/quality-assessments/{aid}/conclusion",
                json={"conclusion": "rectify", "note": "the district codes are outdated"},
            )
        )
    assert rectify["status"] == "rectification"
    assert [s["stage"] for s in rectify["stages"]] == ["quality_answer", "rectification"]
    assert rectify["stages"][1]["due_on"] == CALENDAR.add_working_days(today(), 10).isoformat()
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/quality-assessments/{aid}/answer", json={}),
            422,
            "corrected version",
        )
        ok(add_version(provider, "qd_census", parquet_bytes(people_table(35))), 201)
        fixed = ok(provider.post(f"/v1/quality-assessments/{aid}/answer", json={"note": "recoded"}))
    assert (fixed["status"], fixed["answer_version"]) == ("answered", 2)
    with world.client("authority") as authority:
        closed = ok(
            authority.post(
                f"/v1/quality-assessments/{aid}/conclusion", json={"conclusion": "satisfactory"}
            )
        )
        listed = ok(authority.get("/v1/quality-assessments", params={"dataset": "qd_census"}))
        refused(authority.get("/v1/quality-assessments", params={"status": "bogus"}), 422)
    assert closed["status"] == "satisfactory" and [a["id"] for a in listed] == [aid]
    with world.client("user") as user:
        refused(user.get("/v1/quality-assessments"), 403)
    with world.client("auditor") as auditor:
        actions = {
            e["action"]
            for e in ok(auditor.get("/v1/audit", params={"object_id": "qd_census", "limit": 500}))[
                "data"
            ]
        }
    assert {
        "quality.assessment.open",
        "quality.assessment.answer",
        "quality.assessment.conclude",
    } <= actions
    assert _quality(world)["satisfactory"] == before["satisfactory"] + 1


def test_update_reminders_before_the_frequency_lapses_once_per_lapse(
    world: World, live_server: LiveServer
) -> None:
    platform = live_server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            dataset_id = session.execute(
                select(DatasetRow.id).where(DatasetRow.name == "qd_monthly")
            ).scalar_one()
            session.execute(
                update(DatasetVersionRow)
                .where(DatasetVersionRow.dataset_id == dataset_id)
                .values(created_at=datetime.now(UTC) - timedelta(days=29))
            )
    finally:
        platform.close()
    with world.client("user") as user:
        refused(user.post("/v1/update-reminders/sweep", json={}), 403)
    with world.client("authority") as authority:
        refused(authority.post("/v1/update-reminders/sweep", json={"lead_working_days": 99}), 422)
        sent = ok(authority.post("/v1/update-reminders/sweep", json={}))
        assert [r["dataset"] for r in sent] == ["qd_monthly"]
        assert sent[0]["update_frequency"] == "monthly" and sent[0]["version"] == 1
        assert ok(authority.post("/v1/update-reminders/sweep", json={})) == []
    with world.client("provider") as provider:
        mine = ok(provider.get("/v1/update-reminders"))
        assert "qd_monthly" in {r["dataset"] for r in mine}
    assert any(
        n["key"] == "dataset.update_due" and n["subject"]["id"] == "qd_monthly"
        for n in _inbox(world, "provider")
    )
    with world.client("other_provider") as other:
        assert "qd_monthly" not in {r["dataset"] for r in ok(other.get("/v1/update-reminders"))}
    assert _quality(world)["reminders"] >= 1


def test_the_client_and_the_cli_run_the_duties(world: World) -> None:
    env = {**world.server.env, "SANDBOX_URL": world.server.url}

    def cli(token: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sandbox.cli", "governance", *args],
            env={**env, "SANDBOX_TOKEN": world.tokens[token]},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=REPO,
        )

    opened = cli("authority", "assess", "qd_fresh", "--request", "annual check")
    assert opened.returncode == 0, opened.stderr
    assert "of qd_fresh" in opened.stderr and ": open" in opened.stderr
    with world.api("provider") as provider:
        [found] = provider.quality_assessments(status="open", dataset="qd_fresh")
        provider.answer_quality_assessment(found["id"], note="report attached")
    concluded = cli("authority", "conclude", str(found["id"]), "--satisfactory")
    assert concluded.returncode == 0 and "satisfactory" in concluded.stderr
    both = cli("authority", "conclude", str(found["id"]))
    assert both.returncode != 0 and "--satisfactory or --rectify" in both.stderr
    listed = cli("provider", "assessments", "--dataset", "qd_fresh")
    assert listed.returncode == 0 and "qd_fresh" in listed.stdout
