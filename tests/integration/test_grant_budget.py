"""A grant's budget over HTTP and the CLI (``GET /v1/grants/{id}/budget``, ``sandbox grants
budget``): its holder reads limit, spent, remaining and each charge (job, call, cost, when);
what remains of a dataset's lifetime budget only where the dataset's policy shows it; the
provider and oversight always see it; anyone else is told the grant does not exist. The
charges are made through the ledger directly, as the engine makes them for a job (a real
job's charges are read in ``tests/jobs/test_grant_budget_job.py``).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from sandbox.identity.model import Actor, Role
from sandbox.ledger import SqlLedger
from sandbox.policies import PrivacyCost
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import World, build_world, grant

pytestmark = pytest.mark.server

HIDDEN, SHOWN = "gb_hidden", "gb_shown"


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> World:
    made = build_world(live_server, {HIDDEN: "conditional", SHOWN: "conditional"})
    with made.client("provider") as provider:
        ok(
            provider.put(
                f"/v1/datasets/{SHOWN}/policy", json={"document": {"show_lifetime_to_users": True}}
            )
        )
    main = grant(made, "user", [HIDDEN, SHOWN], grant_budget=2)
    made.ids["grant"], made.grants["main"] = main["id"], main["ref"]
    # Another holder's grant spends from the same lifetime budgets.
    made.grants["other"] = grant(made, "user2", [HIDDEN, SHOWN], grant_budget=1)["ref"]
    platform = live_server.open_platform()
    try:
        ledger = SqlLedger(platform.sessions)
        holder = Actor(made.ids["user"], "user", Role.USER)
        for dataset in (HIDDEN, SHOWN):
            charge = ledger.spend(
                made.grants["main"],
                dataset,
                PrivacyCost.of("0.25"),
                f"count on {dataset} v1",
                holder,
                job=41,
                call="count",
            )
            ledger.release(charge.id, holder)
        ledger.spend(
            made.grants["main"],
            HIDDEN,
            PrivacyCost.of("0.5", "1e-7"),
            f"mean of income by region on {HIDDEN} v1",
            holder,
            job=42,
            call="mean",
        )
        ledger.spend(
            made.grants["other"],
            HIDDEN,
            PrivacyCost.of("0.75"),
            "other's count",
            Actor(made.ids["user2"], "user2", Role.USER),
            job=43,
            call="count",
        )
    finally:
        platform.close()
    return made


def _budget(world: World, who: str) -> dict[str, Any]:
    with world.client(who) as client:
        return dict(ok(client.get(f"/v1/grants/{world.ids['grant']}/budget")))


def _by_dataset(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dataset"]: d for d in body["datasets"]}


def test_the_holder_reads_spent_remaining_and_each_charge(world: World) -> None:
    body = _budget(world, "user")
    assert (body["grant"], body["holder"], body["status"]) == (
        world.grants["main"],
        "user",
        "active",
    )
    hidden = _by_dataset(body)[HIDDEN]
    assert hidden["accounting"] == "pure"
    assert (hidden["limit"]["loss"], hidden["spent"]["loss"], hidden["remaining"]["loss"]) == (
        "2",
        "0.75",
        "1.25",
    )
    assert hidden["spent"]["delta"] == "1E-7"
    charges = hidden["charges"]
    assert [(c["job_id"], c["call"], c["cost"]["loss"], c["status"]) for c in charges] == [
        (41, "count", "0.25", "released"),
        (42, "mean", "0.5", "charged"),
    ]
    assert charges[1]["purpose"] == f"mean of income by region on {HIDDEN} v1"
    assert charges[1]["cost"]["delta"] == "1E-7"
    assert charges[0]["charged_at"] <= charges[1]["charged_at"]
    assert charges[0]["released_at"] is not None and charges[1]["released_at"] is None
    # Only the holder's own grant: the other holder's charge is not among them.
    assert all(c["job_id"] != 43 for d in body["datasets"] for c in d["charges"])


def test_the_lifetime_remainder_only_where_the_policy_shows_it(world: World) -> None:
    mine = _by_dataset(_budget(world, "user"))
    assert mine[HIDDEN]["lifetime_remaining"] is None
    # The shipped floor's lifetime budget of 20, less this grant's 0.25 on the dataset.
    assert mine[SHOWN]["lifetime_remaining"]["loss"] == "19.75"
    for who in ("provider", "auditor", "authority"):
        seen = _by_dataset(_budget(world, who))
        # Both grants spent from the hidden dataset's lifetime: 20 - 0.25 - 0.5 - 0.75.
        assert seen[HIDDEN]["lifetime_remaining"]["loss"] == "18.5", who
        assert seen[SHOWN]["lifetime_remaining"]["loss"] == "19.75", who


@pytest.mark.parametrize("who", ["user2", "other_provider", "reviewer"])
def test_anyone_else_is_told_the_grant_does_not_exist(world: World, who: str) -> None:
    with world.client(who) as client:
        response = client.get(f"/v1/grants/{world.ids['grant']}/budget")
        assert response.status_code == 404, response.text
        assert response.json()["error"] == "not_found"
        assert client.get("/v1/grants/999999/budget").status_code == 404


def test_the_dataset_view_stays_the_providers_and_oversights(world: World) -> None:
    with world.client("user") as user:
        assert user.get(f"/v1/budgets/{HIDDEN}").status_code == 403
    with world.api("provider") as provider:
        accounts = provider.dataset_budget(HIDDEN)["accounts"]
    assert {a["ref"] for a in accounts} == {HIDDEN, world.grants["main"], world.grants["other"]}


def test_a_grant_not_yet_accepted_has_no_accounts(world: World) -> None:
    pending = grant(world, "user", [HIDDEN], accept=False)
    with world.api("user") as api:
        body = api.grant_budget(int(pending["id"]))
    assert (body["status"], body["datasets"]) == ("pending_acceptance", [])


def test_every_read_is_audited(world: World) -> None:
    with world.api("user") as api:
        api.grant_budget(world.ids["grant"])
    with world.api("auditor") as auditor:
        entries = auditor.audit_page(
            action="budget.read", object_type="grant", object_id=world.grants["main"], limit=1000
        )["data"]
    mine = [e for e in entries if e["actor"] == "user"]
    assert mine and mine[-1]["detail"]["grant_id"] == world.ids["grant"]
    assert mine[-1]["detail"]["lifetime_shown"] == [SHOWN]


def _cli(world: World, who: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_prints_the_holders_budget(world: World) -> None:
    shown = _cli(world, "user", "grants", "budget", str(world.ids["grant"]))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert f"grant {world.grants['main']}" in text
    assert f"dataset {HIDDEN} (epsilon)" in text
    assert "remaining" in text and "1.25" in text and "0.75" in text
    assert "not shown" in text  # the hidden dataset's lifetime remainder
    assert "19.75" in text  # the shown one's
    assert "mean of income by region" in text and "42" in text
    as_json = _cli(world, "user", "grants", "budget", str(world.ids["grant"]), "--json")
    assert '"job_id": 41' in as_json.stdout
    refused = _cli(world, "user2", "grants", "budget", str(world.ids["grant"]))
    assert refused.returncode == 1 and "does not exist" in refused.stderr


def test_the_cli_prints_a_datasets_accounts_for_its_provider(world: World) -> None:
    shown = _cli(world, "provider", "budgets", "show", HIDDEN)
    assert shown.returncode == 0, shown.stderr
    assert world.grants["other"] in shown.stdout and "18.5" in shown.stdout
    refused = _cli(world, "user", "budgets", "show", HIDDEN)
    assert refused.returncode == 1 and "provider and oversight" in refused.stderr
