"""The CLI's commands for providers and authorities against a live server: policies (``show``,
``set-floor``, ``set-dataset``), eligibility (``users eligibility``) and attribute changes
(``request``, ``list``, ``decide``), each through the client and the API, with the server's
refusals printed as one ``error:`` line and exit status 1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, add_users, build_world

pytestmark = pytest.mark.server

OPEN, COND = "cli_open", "cli_cond"


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    made = build_world(live_server, {OPEN: "unconditional", COND: "conditional"})
    add_users(made, "newcomer")
    return made


def sandbox(
    world: World, who: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_policies_show_set_floor_and_set_dataset(world: World, tmp_path: Path) -> None:
    floor = sandbox(world, "user", "policies", "show")
    assert floor.returncode == 0, floor.stderr
    assert floor.stdout == "# floor (not set: the platform's own rules apply)\n{}\n"

    document = tmp_path / "floor.yaml"
    document.write_text("row_count: {min_count: 12}\n", encoding="utf-8")
    refused = sandbox(world, "provider", "policies", "set-floor", str(document))
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    done = sandbox(world, "authority", "policies", "set-floor", str(document))
    assert done.returncode == 0, done.stderr
    assert "the floor is set by authority" in done.stderr and "min_count: 12" in done.stdout

    looser = sandbox(
        world, "provider", "policies", "set-dataset", COND, "-", stdin="row_count: {min_count: 5}\n"
    )
    assert looser.returncode == 1 and "min_count 5 is looser" in looser.stderr
    stricter = sandbox(
        world,
        "provider",
        "policies",
        "set-dataset",
        COND,
        "-",
        stdin="row_count: {min_count: 20}\nshow_lifetime_to_users: true\n",
    )
    assert stricter.returncode == 0, stricter.stderr
    assert "show_lifetime_to_users: true" in stricter.stdout

    shown = sandbox(world, "user", "policies", "show", COND)
    assert shown.returncode == 0, shown.stderr
    floor_part, dataset_part, effective_part = shown.stdout.split("---\n")
    assert "set by authority" in floor_part and "min_count: 12" in floor_part
    assert "set by provider" in dataset_part and "min_count: 20" in dataset_part
    assert "min_count: 20" in effective_part and "show_lifetime_to_users: true" in effective_part
    as_json = sandbox(world, "user", "policies", "show", COND, "--json")
    assert '"show_lifetime_to_users": true' in as_json.stdout
    missing = sandbox(world, "authority", "policies", "set-floor", str(tmp_path / "none.yaml"))
    assert missing.returncode == 1 and "no policy document" in missing.stderr


def test_users_eligibility_records_a_fact(world: World) -> None:
    newcomer = str(world.ids["newcomer"])
    done = sandbox(
        world,
        "authority",
        "users",
        "eligibility",
        newcomer,
        "real_name_verified",
        "yes",
        "--note",
        "checked at the counter",
    )
    assert done.returncode == 0, done.stderr
    assert "recorded real_name_verified=yes for 'newcomer'" in done.stderr
    assert "real_name_verified: yes (set by authority)" in done.stdout
    with world.client("authority") as authority:
        facts = ok(authority.get(f"/v1/users/{newcomer}"))["eligibility"]
    assert [(f["fact"], f["value"], f["note"]) for f in facts] == [
        ("real_name_verified", "yes", "checked at the counter")
    ]
    refused = sandbox(world, "user", "users", "eligibility", newcomer, "credit_standing", "good")
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")


def test_attribute_changes_request_list_and_decide(world: World) -> None:
    made = sandbox(
        world,
        "provider",
        "attribute-changes",
        "request",
        OPEN,
        "--to",
        "conditional",
        "--legal-basis",
        "rule 7 of the city's catalogue",
    )
    assert made.returncode == 0, made.stderr
    assert f"of {OPEN}: unconditional -> conditional, pending" in made.stderr
    listed = sandbox(world, "authority", "attribute-changes", "list", "--status", "pending")
    assert listed.returncode == 0, listed.stderr
    assert OPEN in listed.stdout and "rule 7" in listed.stdout
    with world.client("authority") as authority:
        [pending] = ok(authority.get(f"/v1/attribute-changes?dataset={OPEN}"))
    change = str(pending["id"])
    neither = sandbox(world, "authority", "attribute-changes", "decide", change)
    assert neither.returncode == 1 and "--approve or --reject" in neither.stderr
    refused = sandbox(world, "provider", "attribute-changes", "decide", change, "--approve")
    assert refused.returncode == 1 and refused.stderr.startswith("error: ")
    done = sandbox(
        world,
        "authority",
        "attribute-changes",
        "decide",
        change,
        "--approve",
        "--note",
        "basis checked",
    )
    assert done.returncode == 0, done.stderr
    assert "conditional, approved" in done.stderr
    with world.client("user") as user:
        assert ok(user.get(f"/v1/datasets/{OPEN}"))["open_attribute"] == "conditional"
