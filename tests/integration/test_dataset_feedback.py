"""Ratings, moderated comments and usage figures per dataset over the real HTTP server
(Lianyungang art. 18; Chengdu art. 35; Wuxi art. 26): one rating per account, changed in
place; comments hidden until the dataset's provider approves them; only that provider
moderates; bad input refused without a change; the statistics' usage figures move with
each view, download and application; every step audited; the client and the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, add_users, make_eligible, today, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    with made.client("provider") as provider:
        ok(
            register(
                provider, parquet_bytes(people_table(20)), metadata("fb_open", "unconditional")
            ),
            201,
        )
        ok(register(provider, parquet_bytes(people_table(20)), metadata("fb_cond")), 201)
    with made.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table(20)), metadata("fb_other")), 201)
    add_users(made, "fb_user2")
    make_eligible(made, "user")
    return made


def _feedback(world: World, who: str, name: str) -> dict[str, Any]:
    with world.client(who) as client:
        return dict(ok(client.get(f"/v1/datasets/{name}/feedback")))


def _usage(world: World, who: str, name: str) -> dict[str, Any] | None:
    with world.client(who) as client:
        figures = ok(client.get("/v1/stats"))["dataset_usage"]
    found = [f for f in figures if f["dataset"] == name]
    return found[0] if found else None


def _audited(world: World, action: str, object_id: str) -> list[dict[str, Any]]:
    with world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": action, "object_id": object_id, "limit": 1000}
        rows = ok(auditor.get("/v1/audit", params=params))["data"]
    return [e for e in rows if e["action"] == action and str(e["object_id"]) == object_id]


def test_one_rating_per_account_changed_in_place(world: World) -> None:
    assert _feedback(world, "user", "fb_open")["ratings"] == 0
    with world.client("user") as user:
        assert ok(user.put("/v1/datasets/fb_open/rating", json={"stars": 2}))["stars"] == 2
        assert ok(user.put("/v1/datasets/fb_open/rating", json={"stars": 4}))["stars"] == 4
    with world.client("fb_user2") as other:
        ok(other.put("/v1/datasets/fb_open/rating", json={"stars": 5}))
    seen = _feedback(world, "user", "fb_open")
    assert (seen["ratings"], seen["average_rating"], seen["my_rating"]) == (2, 4.5, 4)
    assert _feedback(world, "provider", "fb_open")["my_rating"] is None
    # a not-open dataset's entry is visible too, so it may be rated
    with world.client("user") as user:
        ok(user.put("/v1/datasets/fb_cond/rating", json={"stars": 1}))
    assert len(_audited(world, "dataset.rated", "fb_open")) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"stars": 0},
        {"stars": 6},
        {"stars": 3.5},
        {"stars": "4"},
        {"stars": True},
        {},
        {"stars": 3, "x": 1},
    ],
)
def test_a_bad_rating_is_refused_and_changes_nothing(world: World, body: dict[str, Any]) -> None:
    with world.client("fb_user2") as other:
        ok(other.put("/v1/datasets/fb_cond/rating", json={"stars": 3}))
        before = _feedback(world, "fb_user2", "fb_cond")
        answer = other.put("/v1/datasets/fb_cond/rating", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"] == "invalid_request"
    assert _feedback(world, "fb_user2", "fb_cond") == before


def test_rating_an_unknown_dataset_is_404(world: World) -> None:
    with world.client("user") as user:
        refused(user.put("/v1/datasets/fb_nope/rating", json={"stars": 3}), 404, "fb_nope")
        refused(user.post("/v1/datasets/fb_nope/comments", json={"text": "hi"}), 404, "fb_nope")
        refused(user.get("/v1/datasets/fb_nope/feedback"), 404, "fb_nope")


def test_comments_are_hidden_until_the_provider_approves_them(world: World) -> None:
    with world.client("user") as user:
        made = ok(user.post("/v1/datasets/fb_open/comments", json={"text": "  Useful data  "}), 201)
        spam = ok(user.post("/v1/datasets/fb_open/comments", json={"text": "buy now"}), 201)
    assert (made["status"], made["text"]) == ("pending", "Useful data")
    assert _feedback(world, "fb_user2", "fb_open")["comments"] == []
    mine = _feedback(world, "user", "fb_open")["my_comments"]
    assert {c["id"]: c["status"] for c in mine} == {made["id"]: "pending", spam["id"]: "pending"}

    with world.client("provider") as provider:
        queue = ok(provider.get("/v1/comments/moderation"))
        assert {made["id"], spam["id"]} <= {c["id"] for c in queue}
        approved = ok(
            provider.post(f"/v1/comments/{made['id']}/moderation", json={"outcome": "approve"})
        )
        assert approved["status"] == "approved"
        refused(
            provider.post(f"/v1/comments/{spam['id']}/moderation", json={"outcome": "hide"}),
            422,
            "reason",
        )
        hidden = ok(
            provider.post(
                f"/v1/comments/{spam['id']}/moderation",
                json={"outcome": "hide", "reason": "advertising"},
            )
        )
        assert (hidden["status"], hidden["reason"]) == ("hidden", "advertising")
        assert spam["id"] in {
            c["id"] for c in ok(provider.get("/v1/comments/moderation?status=hidden"))
        }
        assert made["id"] not in {c["id"] for c in ok(provider.get("/v1/comments/moderation"))}

    public = _feedback(world, "fb_user2", "fb_open")["comments"]
    assert [(c["id"], c["text"], c["author"]) for c in public] == [
        (made["id"], "Useful data", "user")
    ]
    assert {c["id"]: c["status"] for c in _feedback(world, "user", "fb_open")["my_comments"]} == {
        made["id"]: "approved",
        spam["id"]: "hidden",
    }
    assert len(_audited(world, "dataset.comment_moderated", str(spam["id"]))) == 1
    assert len(_audited(world, "dataset.comment_submitted", str(made["id"]))) == 1


def test_only_the_datasets_provider_moderates(world: World) -> None:
    with world.client("user") as user:
        made = ok(user.post("/v1/datasets/fb_open/comments", json={"text": "moderate me"}), 201)
    path = f"/v1/comments/{made['id']}/moderation"
    with world.client("other_provider") as other:
        refused(other.post(path, json={"outcome": "approve"}), 404)
        assert made["id"] not in {c["id"] for c in ok(other.get("/v1/comments/moderation"))}
    for who in ("user", "authority", "admin", "reviewer"):
        with world.client(who) as client:
            assert client.post(path, json={"outcome": "approve"}).status_code == 403
            assert client.get("/v1/comments/moderation").status_code == 403
    with world.client("provider") as provider:
        refused(provider.post(path, json={"outcome": "publish"}), 422, "outcome")
        refused(provider.post("/v1/comments/999999/moderation", json={"outcome": "approve"}), 404)
        assert made["id"] in {c["id"] for c in ok(provider.get("/v1/comments/moderation"))}
    assert _feedback(world, "fb_user2", "fb_open")["comments"] == [
        c for c in _feedback(world, "fb_user2", "fb_open")["comments"] if c["id"] != made["id"]
    ]


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_a_bad_comment_is_refused_and_changes_nothing(world: World, text: str) -> None:
    before = _feedback(world, "fb_user2", "fb_cond")
    with world.client("fb_user2") as other:
        answer = other.post("/v1/datasets/fb_cond/comments", json={"text": text})
    assert answer.status_code == 422, answer.text
    assert _feedback(world, "fb_user2", "fb_cond") == before


def test_usage_figures_move_with_views_downloads_and_applications(world: World) -> None:
    start = _usage(world, "authority", "fb_open")
    assert start is not None
    with world.client("fb_user2") as other:
        ok(other.get("/v1/datasets/fb_open"))
        ok(other.get("/v1/datasets/fb_open"))
        assert other.get("/v1/datasets/fb_open/download").status_code == 200
    after_reads = _usage(world, "authority", "fb_open")
    assert after_reads is not None
    assert after_reads["views"] == start["views"] + 2
    assert after_reads["downloads"] == start["downloads"] + 1
    assert after_reads["applications"] == start["applications"]

    cond_before = _usage(world, "authority", "fb_cond")
    assert cond_before is not None
    body = {
        "title": "usage figures",
        "reason": "r",
        "type": "dataset",
        "datasets": ["fb_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        ok(user.post("/v1/applications", json=body), 201)
    cond_after = _usage(world, "authority", "fb_cond")
    assert cond_after is not None
    assert cond_after["applications"] == cond_before["applications"] + 1
    assert cond_after["jobs"] == cond_before["jobs"] == 0
    rated = _usage(world, "authority", "fb_open")
    assert rated is not None and rated["ratings"] >= 2 and rated["average_rating"] is not None

    # a provider sees its own datasets' figures only; a user none
    assert _usage(world, "provider", "fb_open") == _usage(world, "authority", "fb_open")
    assert _usage(world, "provider", "fb_other") is None
    assert _usage(world, "other_provider", "fb_other") is not None
    with world.client("user") as user:
        assert ok(user.get("/v1/stats"))["dataset_usage"] == []


def test_client_and_cli(world: World) -> None:
    from sandbox.client import SandboxClient

    with SandboxClient(world.server.url, world.tokens["fb_user2"]) as client:
        assert client.rate_dataset("fb_other", 3)["stars"] == 3
        made = client.comment_on_dataset("fb_other", "from the client")
        assert made["status"] == "pending"
        assert client.dataset_feedback("fb_other")["my_rating"] == 3
    with SandboxClient(world.server.url, world.tokens["other_provider"]) as client:
        assert made["id"] in {c["id"] for c in client.comment_moderation_queue()}

    def run(who: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "sandbox.cli",
                *args,
                "--url",
                world.server.url,
                "--token",
                world.tokens[who],
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )

    done = run("other_provider", "feedback", "moderate", str(made["id"]), "approve")
    assert done.returncode == 0, done.stderr
    shown = run("fb_user2", "feedback", "show", "fb_other")
    assert shown.returncode == 0, shown.stderr
    assert "from the client" in shown.stdout and "3" in shown.stdout
    bad = run("fb_user2", "feedback", "rate", "fb_other", "9")
    assert bad.returncode != 0
    assert "stars" in (bad.stdout + bad.stderr)
