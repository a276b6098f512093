"""The CLI's commands for opening plans, changes of law, public reports and proof files
against a live server: each through the client and the API, a visitor's report and the
public plans without a token, refusals printed as one ``error:`` line with exit status 1.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, today

pytestmark = pytest.mark.server

OPEN, COND = "ppc_open", "ppc_cond"
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    return build_world(live_server, {OPEN: "unconditional", COND: "conditional"})


def sandbox(world: World, who: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(world.server.env, SANDBOX_URL=world.server.url, COLUMNS="200")
    env.pop("SANDBOX_TOKEN", None)
    if who is not None:
        env["SANDBOX_TOKEN"] = world.tokens[who]
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_opening_plan_through_the_cli(world: World) -> None:
    with world.client("provider") as provider:
        org = ok(provider.get("/v1/users/me"))["organisation_id"]
    due = f"{today().year}-12-31"
    added = sandbox(
        world,
        "provider",
        "opening-plans",
        "add",
        "--organisation",
        str(org),
        "--dataset",
        "ppc_future",
        "--title",
        "Future data",
        "--due",
        due,
    )
    assert added.returncode == 0, added.stderr
    plan_id = added.stdout.strip()
    bad = sandbox(
        world,
        "provider",
        "opening-plans",
        "add",
        "--organisation",
        str(org),
        "--dataset",
        "ppc_x",
        "--title",
        "x",
        "--due",
        "someday",
    )
    assert bad.returncode != 0 and "not a date" in bad.stderr
    assert sandbox(world, "provider", "opening-plans", "submit", plan_id).returncode == 0
    refused = sandbox(world, "provider", "opening-plans", "publish", plan_id)
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    published = sandbox(world, "authority", "opening-plans", "publish", plan_id)
    assert published.returncode == 0 and "published" in published.stderr
    public = sandbox(world, None, "opening-plans", "public")
    assert public.returncode == 0, public.stderr
    assert "Health Bureau" in public.stdout and "published" in public.stdout
    shown = sandbox(world, "user", "opening-plans", "show", plan_id)
    assert "ppc_future" in shown.stdout and "pending" in shown.stdout


def test_a_change_of_law_and_its_task_through_the_cli(world: World) -> None:
    recorded = sandbox(
        world,
        "authority",
        "law-changes",
        "record",
        "Data Security Law, art. 27",
        "--changed-on",
        today().isoformat(),
        "--dataset",
        OPEN,
    )
    assert recorded.returncode == 0, recorded.stderr
    assert "1 tasks" in recorded.stderr and OPEN in recorded.stdout
    tasks = sandbox(world, "provider", "law-changes", "tasks", "--status", "open")
    assert OPEN in tasks.stdout and "working days left" in tasks.stdout
    with world.client("provider") as provider:
        task_id = ok(provider.get("/v1/law-change-tasks", params={"status": "open"}))[0]["id"]
    missing = sandbox(
        world, "provider", "law-changes", "close", str(task_id), "--resolution", "no_change"
    )
    assert missing.returncode == 1 and "reason" in missing.stderr
    closed = sandbox(
        world,
        "provider",
        "law-changes",
        "close",
        str(task_id),
        "--resolution",
        "no_change",
        "--reason",
        "the article leaves the open data alone",
    )
    assert closed.returncode == 0 and "no_change" in closed.stderr
    assert sandbox(world, "user", "law-changes", "tasks").returncode == 1


def test_a_visitor_reports_and_the_provider_answers_through_the_cli(world: World) -> None:
    no_contact = sandbox(
        world, None, "public-reports", "file", "misuse", "--description", "x", "--dataset", OPEN
    )
    assert no_contact.returncode == 1 and "contact" in no_contact.stderr
    filed = sandbox(
        world,
        None,
        "public-reports",
        "file",
        "misuse",
        "--description",
        "rows are resold",
        "--dataset",
        OPEN,
        "--contact",
        "someone@example.org",
    )
    assert filed.returncode == 0, filed.stderr
    report_id = filed.stdout.strip()
    listed = sandbox(world, "provider", "public-reports", "list")
    assert report_id in listed.stdout and OPEN in listed.stdout
    answered = sandbox(
        world,
        "provider",
        "public-reports",
        "answer",
        report_id,
        "--outcome",
        "unfounded",
        "--answer",
        "the data is unconditional",
    )
    assert answered.returncode == 0 and "unfounded" in answered.stderr
    shown = sandbox(world, "authority", "public-reports", "show", report_id)
    assert "someone@example.org" in shown.stdout and "answered" in shown.stdout


def test_proof_files_through_the_cli(world: World, tmp_path: Path) -> None:
    body = {
        "title": "CLI proof",
        "reason": "r",
        "type": "dataset",
        "datasets": [COND],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        app_id = str(ok(user.post("/v1/applications", json=body), 201)["id"])
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(PDF)
    program = tmp_path / "tool.exe"
    program.write_bytes(b"MZ\x90\x00")
    attached = sandbox(world, "user", "applications", "attach", app_id, str(licence))
    assert attached.returncode == 0, attached.stderr
    attachment_id = attached.stdout.strip()
    refused = sandbox(world, "user", "applications", "attach", app_id, str(program))
    assert refused.returncode == 1 and "PDF" in refused.stderr
    listed = sandbox(world, "provider", "applications", "attachments", app_id)
    assert "licence.pdf" in listed.stdout and "application/pdf" in listed.stdout
    saved = tmp_path / "saved.pdf"
    got = sandbox(
        world, "authority", "applications", "attachment", app_id, attachment_id, str(saved)
    )
    assert got.returncode == 0, got.stderr
    assert saved.read_bytes() == PDF
    hidden = sandbox(world, "other_provider", "applications", "attachments", app_id)
    assert hidden.returncode == 1 and "does not exist" in hidden.stderr
