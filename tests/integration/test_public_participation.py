"""Opening plans, catalog tasks after a change of law, public reports, the public list of
data products and applications' proof attachments, over the real HTTP server.

Each workflow is driven by the roles the rules give it: the authority publishes plans and
records changes of law, providers draft plans and close their tasks, anyone reports misuse
(a visitor with a contact), the applicant attaches proof that only the applicant, the
provider and the authority read. Deadlines are checked against the working-day calendar;
bad input is refused without a change; the statistics and the overdue list follow.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import CALENDAR, World, make_eligible, today, world_of

pytestmark = pytest.mark.server

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    made.orgs["provider"] = accounts["provider"].organisation_id or 0
    made.orgs["other_provider"] = accounts["other_provider"].organisation_id or 0
    with made.client("provider") as provider:
        for name, attribute in (("pp_open", "unconditional"), ("pp_cond", "conditional")):
            ok(register(provider, parquet_bytes(people_table(20)), metadata(name, attribute)), 201)
    with made.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table(20)), metadata("pp_other")), 201)
    make_eligible(made, "user")
    return made


def _audited(world: World, action: str) -> list[dict[str, Any]]:
    with world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": action, "limit": 1000}
        return list(ok(auditor.get("/v1/audit", params=params))["data"])


def _stats(world: World) -> dict[str, Any]:
    with world.client("user") as user:
        return dict(ok(user.get("/v1/stats")))


def _notified(world: World, who: str, key: str, subject: tuple[str, int]) -> bool:
    with world.client(who) as client:
        inbox = ok(client.get("/v1/notifications", params={"limit": 200}))["data"]
    wanted = {"type": subject[0], "id": str(subject[1])}
    return any(n["key"] == key and n["subject"] == wanted for n in inbox)


def _anonymous(world: World) -> httpx.Client:
    return world.server.client(None)


# ---- opening plans -------------------------------------------------------------------------


def _entry(world: World, who: str, name: str, due: date, **extra: Any) -> httpx.Response:
    body = {
        "organisation_id": world.orgs["provider"],
        "year": due.year,
        "dataset": name,
        "title": f"Planned {name}",
        "open_attribute": "unconditional",
        "due_on": due.isoformat(),
        **extra,
    }
    with world.client(who) as client:
        return client.post("/v1/opening-plans/entries", json=body)


def test_an_opening_plan_is_drafted_reviewed_published_and_tracked(world: World) -> None:
    year = today().year
    first_day = date(year, 1, 1)
    last_day = date(year, 12, 31)
    plan = ok(_entry(world, "provider", "pp_planned", last_day), 201)
    plan_id = plan["id"]
    assert (plan["status"], plan["organisation"], plan["year"]) == ("draft", "Health Bureau", year)
    # an entry for a dataset already registered, due long ago: met if it was in time
    plan = ok(_entry(world, "provider", "pp_open", last_day), 201)
    # due on the first of January and still missing: overdue (unless today is that day)
    plan = ok(_entry(world, "provider", "pp_late", first_day, open_attribute="conditional"), 201)
    states = {e["dataset"]: e["state"] for e in plan["entries"]}
    assert states["pp_planned"] == "pending"
    assert states["pp_open"] == "met"
    assert states["pp_late"] == ("overdue" if today() > first_day else "pending")

    # a draft is seen by its organisation and oversight only, and not in the public list
    with _anonymous(world) as visitor:
        assert all(p["id"] != plan_id for p in ok(visitor.get("/v1/public/opening-plans")))
    with world.client("other_provider") as other:
        refused(other.get(f"/v1/opening-plans/{plan_id}"), 404)
        refused(other.post(f"/v1/opening-plans/{plan_id}/submit"), 404)
    with world.client("user") as user:
        refused(user.get(f"/v1/opening-plans/{plan_id}"), 404)

    with world.client("provider") as provider:
        submitted = ok(provider.post(f"/v1/opening-plans/{plan_id}/submit"))
    assert submitted["status"] == "submitted"
    refused(_entry(world, "provider", "pp_more", last_day), 409, "only the authority")
    with world.client("authority") as authority:
        refused(
            authority.post(f"/v1/opening-plans/{plan_id}/decision", json={"outcome": "return"}),
            422,
            "note",
        )
        returned = ok(
            authority.post(
                f"/v1/opening-plans/{plan_id}/decision",
                json={"outcome": "return", "note": "add the bus data"},
            )
        )
    assert (returned["status"], returned["note"]) == ("draft", "add the bus data")
    with world.client("provider") as provider:
        ok(provider.post(f"/v1/opening-plans/{plan_id}/submit"))
    with world.client("authority") as authority:
        published = ok(
            authority.post(f"/v1/opening-plans/{plan_id}/decision", json={"outcome": "publish"})
        )
    assert (published["status"], published["published_by"]) == ("published", "authority")
    assert _notified(world, "authority", "plan.submitted", ("opening_plan", plan_id))
    for key in ("plan.returned", "plan.published"):
        assert _notified(world, "provider", key, ("opening_plan", plan_id))
        assert not _notified(world, "other_provider", key, ("opening_plan", plan_id))

    # published: public without a token, and the provider may no longer change it
    with _anonymous(world) as visitor:
        public = ok(visitor.get("/v1/public/opening-plans", params={"year": year}))
    assert [p["id"] for p in public if p["id"] == plan_id] == [plan_id]
    with world.client("user") as user:
        assert ok(user.get(f"/v1/opening-plans/{plan_id}"))["status"] == "published"
    entry_id = next(e["id"] for e in published["entries"] if e["dataset"] == "pp_late")
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/opening-plans/{plan_id}/entries/{entry_id}/remove", json={}),
            409,
        )

    # the planned dataset is registered: its entry is met, and the statistics follow
    with world.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table(20)), metadata("pp_planned")), 201)
        seen = ok(provider.get(f"/v1/opening-plans/{plan_id}"))
    assert {e["dataset"]: e["state"] for e in seen["entries"]}["pp_planned"] == "met"
    progress = [p for p in _stats(world)["opening_plans"] if p["organisation"] == "Health Bureau"]
    assert progress and progress[0]["entries"] == 3
    assert progress[0]["met"] == 2
    assert progress[0]["overdue"] == (1 if today() > first_day else 0)

    # the authority amends a published plan, with its reason
    with world.client("authority") as authority:
        refused(
            authority.post(f"/v1/opening-plans/{plan_id}/entries/{entry_id}/remove", json={}),
            422,
            "reason",
        )
        amended = ok(
            authority.post(
                f"/v1/opening-plans/{plan_id}/entries/{entry_id}/remove",
                json={"reason": "merged into pp_planned"},
            )
        )
    assert sorted(e["dataset"] for e in amended["entries"]) == ["pp_open", "pp_planned"]
    decisions = [
        e for e in _audited(world, "opening_plan.decide") if e["object_id"] == str(plan_id)
    ]
    assert [e["detail"]["decision"] for e in decisions] == ["publish", "return"] or [
        e["detail"]["decision"] for e in decisions
    ] == ["return", "publish"]
    assert len(_audited(world, "opening_plan.entry.remove")) == 1


def test_an_entry_is_met_only_once_the_authority_passed_the_dataset(world: World) -> None:
    due = date(today().year + 1, 3, 31)
    plan = ok(_entry(world, "provider", "pp_waiting", due), 201)
    with world.client("provider") as provider:
        ok(
            register(
                provider, parquet_bytes(people_table(20)), metadata("pp_waiting"), publish=False
            ),
            201,
        )
        seen = ok(provider.get(f"/v1/opening-plans/{plan['id']}"))
    assert {e["dataset"]: e["state"] for e in seen["entries"]}["pp_waiting"] == "pending"
    # an unpublished dataset is not announced to a visitor reporting on it
    with _anonymous(world) as visitor:
        body = {"kind": "misuse", "dataset": "pp_waiting", "description": "x", "contact": "a@b.cn"}
        refused(visitor.post("/v1/public-reports", json=body), 404, "does not exist")
    with world.client("authority") as authority:
        ok(
            authority.post(
                "/v1/datasets/pp_waiting/versions/1/review",
                json={"outcome": "pass", "grade": "general"},
            )
        )
        seen = ok(authority.get(f"/v1/opening-plans/{plan['id']}"))
    waiting = next(e for e in seen["entries"] if e["dataset"] == "pp_waiting")
    assert (waiting["state"], waiting["met_on"]) == ("met", today().isoformat())


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"due_on": "2001-03-01"}, 422, "not in the plan's year"),
        ({"dataset": "Bad Name"}, 422, "not a valid dataset name"),
        ({"open_attribute": "closed"}, 422, "closed has no place"),
        ({"open_attribute": "sometimes"}, 422, "open_attribute"),
        ({"dataset": "pp_other"}, 422, "another organisation"),
        ({"year": 1999}, 422, "year"),
        ({"organisation_id": 999999}, 404, "organisation 999999"),
    ],
)
def test_a_bad_plan_entry_is_refused_and_changes_nothing(
    world: World, change: dict[str, Any], status: int, needle: str
) -> None:
    with world.client("provider") as provider:
        before = ok(provider.get("/v1/opening-plans"))
    body_due = date(today().year + 1, 6, 1)
    refused(_entry(world, "provider", "pp_bad", body_due, **change), status, needle)
    with world.client("provider") as provider:
        assert ok(provider.get("/v1/opening-plans")) == before
    refused(_entry(world, "user", "pp_bad", body_due), 403)


# ---- changes of law ------------------------------------------------------------------------


def _record(world: World, body: dict[str, Any]) -> httpx.Response:
    with world.client("authority") as authority:
        return authority.post("/v1/law-changes", json=body)


def test_a_change_of_law_opens_tasks_due_in_15_working_days(world: World) -> None:
    changed_on = today() - timedelta(days=2)
    made = ok(
        _record(
            world,
            {
                "kind": "law_revision",
                "citation": "Data Security Law, art. 21 (revised)",
                "changed_on": changed_on.isoformat(),
                "datasets": ["pp_cond"],
                "organisations": [world.orgs["other_provider"]],
            },
        ),
        201,
    )
    tasks = {t["dataset"]: t for t in made["tasks"]}
    assert set(tasks) == {"pp_cond", "pp_other"}
    due = CALENDAR.add_working_days(changed_on, 15)
    assert all(t["current_stage"]["due_on"] == due.isoformat() for t in tasks.values())
    assert tasks["pp_cond"]["current_stage"]["stage"] == "catalog_update"

    # each provider sees its own task only; a user sees none
    with world.client("provider") as provider:
        mine = ok(provider.get("/v1/law-change-tasks"))
        seen = ok(provider.get(f"/v1/law-changes/{made['id']}"))
    assert {t["dataset"] for t in mine} >= {"pp_cond"}
    assert "pp_other" not in {t["dataset"] for t in mine}
    assert [t["dataset"] for t in seen["tasks"]] == ["pp_cond"]
    with world.client("user") as user:
        refused(user.get("/v1/law-change-tasks"), 403)
        assert ok(user.get(f"/v1/law-changes/{made['id']}"))["tasks"] == []

    task_id = tasks["pp_cond"]["id"]
    other_task = tasks["pp_other"]["id"]
    assert _notified(world, "provider", "task.assigned", ("law_change_task", task_id))
    assert _notified(world, "other_provider", "task.assigned", ("law_change_task", other_task))
    assert not _notified(world, "provider", "task.assigned", ("law_change_task", other_task))
    with world.client("other_provider") as other:
        refused(
            other.post(
                f"/v1/law-change-tasks/{task_id}/close",
                json={"resolution": "no_change", "reason": "x"},
            ),
            404,
        )
    with world.client("provider") as provider:
        # a closing must name a catalog change that happened since the change of law
        refused(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close",
                json={"resolution": "new_version", "reference": 7},
            ),
            422,
            "as version 7",
        )
        refused(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close", json={"resolution": "policy_change"}
            ),
            422,
            "no policy",
        )
        refused(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close", json={"resolution": "no_change"}
            ),
            422,
            "reason",
        )
        refused(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close",
                json={"resolution": "attribute_change", "reference": 999999},
            ),
            422,
            "not about dataset",
        )
        change = ok(
            provider.post(
                "/v1/datasets/pp_cond/attribute-changes",
                json={"to_attribute": "closed", "legal_basis": "Data Security Law, art. 21"},
            ),
            201,
        )
        closed = ok(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close",
                json={"resolution": "attribute_change", "reference": change["id"]},
            )
        )
        assert (closed["status"], closed["resolution"], closed["reference"]) == (
            "closed",
            "attribute_change",
            change["id"],
        )
        assert closed["current_stage"] is None
        refused(
            provider.post(
                f"/v1/law-change-tasks/{task_id}/close",
                json={"resolution": "no_change", "reason": "again"},
            ),
            409,
        )
    with world.client("other_provider") as other:
        done = ok(
            other.post(
                f"/v1/law-change-tasks/{other_task}/close",
                json={"resolution": "no_change", "reason": "the article does not touch it"},
            )
        )
    assert done["stages"][0]["met_deadline"] is True
    assert len(_audited(world, "law_change.task.close")) >= 2


def test_an_overdue_task_is_in_the_statistics_and_the_overdue_list(world: World) -> None:
    long_ago = today() - timedelta(days=90)
    before = _stats(world)["law_change_tasks"]
    made = ok(
        _record(
            world,
            {
                "kind": "function_change",
                "citation": "Bureau functions reorganised",
                "changed_on": long_ago.isoformat(),
                "datasets": ["pp_open"],
            },
        ),
        201,
    )
    task = made["tasks"][0]
    assert task["current_stage"]["overdue"] is True
    after = _stats(world)["law_change_tasks"]
    assert (after["open"], after["overdue"]) == (before["open"] + 1, before["overdue"] + 1)
    with world.client("authority") as authority:
        overdue = ok(authority.get("/v1/deadlines/overdue"))["data"]
        listed = ok(authority.get("/v1/law-change-tasks", params={"overdue": "true"}))
    titles = [o["title"] for o in overdue if o["stage"]["subject"] == "law_change_task"]
    assert any("pp_open" in t and "Bureau functions reorganised" in t for t in titles)
    assert task["id"] in {t["id"] for t in listed}
    deadline = next(
        d
        for d in _stats(world)["deadlines"]
        if (d["subject"], d["stage"]) == ("law_change_task", "catalog_update")
    )
    assert deadline["working_days_allowed"] == 15


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            {
                "kind": "law_revision",
                "citation": "x",
                "changed_on": "2999-01-01",
                "datasets": ["pp_open"],
            },
            "future",
        ),
        ({"kind": "law_revision", "citation": "x", "changed_on": "2026-01-05"}, "affected"),
        (
            {
                "kind": "law_revision",
                "citation": "x",
                "changed_on": "2026-01-05",
                "datasets": ["pp_nope"],
            },
            "pp_nope",
        ),
        (
            {
                "kind": "rumour",
                "citation": "x",
                "changed_on": "2026-01-05",
                "datasets": ["pp_open"],
            },
            "kind",
        ),
        (
            {
                "kind": "law_revision",
                "citation": "",
                "changed_on": "2026-01-05",
                "datasets": ["pp_open"],
            },
            "citation",
        ),
        (
            {
                "kind": "law_revision",
                "citation": "x",
                "changed_on": "2026-01-05",
                "organisations": [999999],
            },
            "999999",
        ),
    ],
)
def test_a_bad_change_of_law_is_refused_and_opens_nothing(
    world: World, body: dict[str, Any], needle: str
) -> None:
    with world.client("authority") as authority:
        before = len(ok(authority.get("/v1/law-changes")))
    refused(_record(world, body), 422, needle)
    with world.client("authority") as authority:
        assert len(ok(authority.get("/v1/law-changes"))) == before
    with world.client("provider") as provider:
        refused(provider.post("/v1/law-changes", json=body), 403)


# ---- public reports ------------------------------------------------------------------------


def test_a_visitor_reports_misuse_with_a_contact(world: World) -> None:
    with _anonymous(world) as visitor:
        refused(
            visitor.post(
                "/v1/public-reports",
                json={"kind": "misuse", "dataset": "pp_open", "description": "resold"},
            ),
            422,
            "contact",
        )
        refused(
            visitor.post(
                "/v1/public-reports",
                json={
                    "kind": "misuse",
                    "dataset": "pp_open",
                    "description": "resold",
                    "contact": "not a contact",
                },
            ),
            422,
            "e-mail",
        )
        made = ok(
            visitor.post(
                "/v1/public-reports",
                json={
                    "kind": "misuse",
                    "dataset": "pp_open",
                    "description": "someone resells the rows",
                    "contact": "citizen@example.org",
                },
            ),
            201,
        )
        refused(visitor.get(f"/v1/public-reports/{made['id']}"), 401)
    assert (made["reporter"], made["provider_org"], made["status"]) == (
        None,
        "Health Bureau",
        "open",
    )
    stage = made["current_stage"]
    assert stage["assignee_role"] == "provider"
    assert stage["due_on"] == CALENDAR.add_working_days(today(), 10).isoformat()
    with world.client("provider") as provider:
        seen = ok(provider.get(f"/v1/public-reports/{made['id']}"))
    assert seen["contact"] == "citizen@example.org"
    # routed to the provider and the authority, who are told
    for who in ("provider", "authority"):
        assert _notified(world, who, "case.received", ("public_report", made["id"]))
    assert not _notified(world, "other_provider", "case.received", ("public_report", made["id"]))
    with world.client("other_provider") as other:
        refused(other.get(f"/v1/public-reports/{made['id']}"), 404)
        assert made["id"] not in {r["id"] for r in ok(other.get("/v1/public-reports"))}
    entry = next(
        e for e in _audited(world, "public_report.submit") if str(e["object_id"]) == str(made["id"])
    )
    assert entry["actor"] == "(visitor)"
    assert "citizen@example.org" not in str(entry)

    # the authority turns it into a complaint about the dataset
    with world.client("authority") as authority:
        refused(
            authority.post(
                f"/v1/public-reports/{made['id']}/answer",
                json={"outcome": "complaint", "answer": "checking"},
            ),
            422,
            "complaint_kind",
        )
        answered = ok(
            authority.post(
                f"/v1/public-reports/{made['id']}/answer",
                json={
                    "outcome": "complaint",
                    "answer": "a complaint is opened",
                    "complaint_kind": "privacy",
                },
            )
        )
        complaint = ok(authority.get(f"/v1/complaints/{answered['complaint_id']}"))
    assert (answered["status"], answered["outcome"]) == ("answered", "complaint")
    assert complaint["dataset"] == "pp_open"
    assert str(made["id"]) in complaint["description"]
    with world.client("provider") as provider:
        assert ok(provider.get(f"/v1/complaints/{complaint['id']}"))["status"] == "open"
        refused(
            provider.post(
                f"/v1/public-reports/{made['id']}/answer",
                json={"outcome": "resolved", "answer": "again"},
            ),
            409,
        )


def test_a_wrong_token_is_refused_but_an_ended_session_reports_as_a_visitor(
    world: World,
) -> None:
    body = {"kind": "security", "description": "open port", "contact": "ops@example.org"}
    with world.server.client("sbx_not_a_token") as guessed:
        refused(guessed.post("/v1/public-reports", json=body), 401)
    with httpx.Client(
        base_url=world.server.url, cookies={"sandbox_session": "ended-long-ago"}
    ) as ended:
        made = ok(ended.post("/v1/public-reports", json=body), 201)
    assert (made["reporter"], made["contact"]) == (None, "ops@example.org")


def test_a_signed_in_report_of_a_security_problem_goes_to_the_authority(world: World) -> None:
    before = _stats(world)["public_reports"]
    with world.client("user") as user:
        made = ok(
            user.post(
                "/v1/public-reports",
                json={"kind": "security", "description": "the download link has no expiry"},
            ),
            201,
        )
        assert made["id"] in {r["id"] for r in ok(user.get("/v1/public-reports"))}
        refused(
            user.post("/v1/public-reports", json={"kind": "misuse", "description": "no target"}),
            422,
            "names the dataset",
        )
        refused(
            user.post(
                "/v1/public-reports",
                json={"kind": "misuse", "description": "x", "dataset": "pp_nope"},
            ),
            404,
        )
    assert (made["reporter"], made["provider_org"]) == ("user", None)
    assert made["current_stage"]["assignee_role"] == "authority"
    assert _stats(world)["public_reports"]["open"] == before["open"] + 1
    with world.client("provider") as provider:
        refused(provider.get(f"/v1/public-reports/{made['id']}"), 404)
    with world.client("authority") as authority:
        refused(
            authority.post(
                f"/v1/public-reports/{made['id']}/answer",
                json={"outcome": "rectification", "answer": "x", "user_id": world.ids["user"]},
            ),
            403,
            "provider",
        )
        ok(
            authority.post(
                f"/v1/public-reports/{made['id']}/answer",
                json={"outcome": "resolved", "answer": "links now expire after a day"},
            )
        )
    after = _stats(world)["public_reports"]
    assert (after["open"], after["answered"]) == (before["open"], before["answered"] + 1)
    assert _notified(world, "user", "case.answered", ("public_report", made["id"]))


# ---- data products, publicly ---------------------------------------------------------------


def test_published_products_are_listed_publicly_without_payloads(world: World) -> None:
    with world.client("user") as user:
        made = ok(
            user.post(
                "/v1/data-products",
                json={
                    "title": "District counts",
                    "sources": [{"dataset": "pp_open"}],
                    "payload": {"secret_total": 12345},
                },
            ),
            201,
        )
    with _anonymous(world) as visitor:
        listed = ok(visitor.get("/v1/public/data-products"))
        only = ok(visitor.get("/v1/public/data-products", params={"dataset": "pp_open"}))
        refused(visitor.get(f"/v1/data-products/{made['id']}"), 401)
    found = next(p for p in listed if p["id"] == made["id"])
    assert found["sources"][0]["dataset"] == "pp_open"
    assert found["sources"][0]["version_created_at"]
    assert found["published_at"] == made["published_at"]
    assert "payload" not in found and "grant_ref" not in found
    assert "12345" not in str(listed)
    assert made["id"] in {p["id"] for p in only}
    # a product's misuse is routed to the organisation whose data it was made from
    with _anonymous(world) as visitor:
        report = ok(
            visitor.post(
                "/v1/public-reports",
                json={
                    "kind": "misuse",
                    "product_id": made["id"],
                    "description": "the product is sold as the raw data",
                    "contact": "+86 21 5555 0101",
                },
            ),
            201,
        )
        refused(
            visitor.post(
                "/v1/public-reports",
                json={
                    "kind": "misuse",
                    "product_id": 999999,
                    "description": "x",
                    "contact": "a@b.cn",
                },
            ),
            404,
            "999999",
        )
    assert (report["product_id"], report["provider_org"]) == (made["id"], "Health Bureau")


# ---- application attachments ---------------------------------------------------------------


def _application(world: World) -> int:
    body = {
        "title": "Proof study",
        "reason": "r",
        "type": "dataset",
        "datasets": ["pp_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        return int(ok(user.post("/v1/applications", json=body), 201)["id"])


def _attach(world: World, who: str, app_id: int, content: bytes, name: str) -> httpx.Response:
    with world.client(who) as client:
        return client.post(
            f"/v1/applications/{app_id}/attachments",
            content=content,
            headers={"X-Filename": name, "Content-Type": "application/octet-stream"},
        )


def test_proof_attachments_are_seen_by_applicant_provider_and_authority(world: World) -> None:
    app_id = _application(world)
    made = ok(_attach(world, "user", app_id, PDF, "licence.pdf"), 201)
    assert (made["media_type"], made["byte_size"], made["filename"]) == (
        "application/pdf",
        len(PDF),
        "licence.pdf",
    )
    # bad files are refused and leave nothing behind
    refused(_attach(world, "user", app_id, b"MZ\x90\x00\x03binary", "run.pdf"), 422, "PDF")
    refused(_attach(world, "user", app_id, b"", "empty.txt"), 422, "empty")
    refused(_attach(world, "user", app_id, b"x" * (5 * 1024 * 1024 + 1), "big.txt"), 413)
    refused(_attach(world, "user", app_id, PDF, "again.pdf"), 409, "already attached")
    refused(_attach(world, "provider", app_id, b"note", "n.txt"), 403, "applicant")
    # one file in the data store, named by its hash: the refusals wrote nothing
    platform = world.server.open_platform()
    try:
        stored = [f for f in platform.store.list_files() if f"/application-{app_id}/" in f]
    finally:
        platform.close()
    assert [f.rsplit("/", 1)[1] for f in stored] == [made["sha256"]]
    for who in ("provider", "authority", "user"):
        with world.client(who) as client:
            listed = ok(client.get(f"/v1/applications/{app_id}/attachments"))
            assert [a["id"] for a in listed] == [made["id"]]
            got = client.get(f"/v1/applications/{app_id}/attachments/{made['id']}")
            assert got.status_code == 200 and got.content == PDF
            assert got.headers["x-content-sha256"] == made["sha256"]
            assert got.headers["content-type"] == "application/pdf"
    for who in ("other_provider", "reviewer", "auditor", "admin"):
        with world.client(who) as client:
            refused(client.get(f"/v1/applications/{app_id}/attachments"), 404)
            refused(client.get(f"/v1/applications/{app_id}/attachments/{made['id']}"), 404)
    reads = [
        e
        for e in _audited(world, "application.attachment.read")
        if str(e["object_id"]) == str(app_id)
    ]
    assert {e["actor"] for e in reads} == {"provider", "authority", "user"}
    # once decided, the application takes no more proof
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    with world.client("provider") as provider:
        ok(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "reason": "no", "legal_basis": "basis"},
            )
        )
    refused(_attach(world, "user", app_id, b"late proof", "late.txt"), 409, "refused")
