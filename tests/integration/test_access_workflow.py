"""The access workflow over the real HTTP server: applications, grants, requests for
unopened data and deadlines, with every refusal; the ledger opened on activation; expiry
enforced by ``active_grant_for``; the client and the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.access import grants as grant_service
from sandbox.access.errors import NoActiveGrant
from sandbox.client import SandboxAPIError
from sandbox.identity.model import Actor, Role
from sandbox.ledger import AccountKind, SqlLedger
from sandbox.platform import Platform
from sandbox.policies import PrivacyCost
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import CALENDAR, World, add_users, make_eligible, today, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]


def application(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Income by district",
        "reason": "study regional inequality",
        "type": "dataset",
        "datasets": ["aw_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=90)).isoformat(),
        "results_form": "aggregate tables",
        "scenario": "municipal policy evaluation",
        "security_measures": "two-person rule, encrypted laptops",
        "commitment_signed": True,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    made.orgs = {
        "health": accounts["provider"].organisation_id or 0,
        "transport": accounts["other_provider"].organisation_id or 0,
    }
    with made.client("provider") as provider:
        for name, attribute in (
            ("aw_cond", "conditional"),
            ("aw_cond2", "conditional"),
            ("aw_open", "unconditional"),
            ("aw_closed", "closed"),
            ("aw_later", "closed"),
        ):
            ok(register(provider, parquet_bytes(people_table(30)), metadata(name, attribute)), 201)
        ok(
            provider.put(
                "/v1/datasets/aw_cond2/policy",
                json={"document": {"job_limits": {"raw_access_allowed": True}}},
            )
        )
    with made.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table(30)), metadata("aw_other")), 201)
    add_users(made, "user2", "user3")
    make_eligible(made, "user", "user2")
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def submit(world: World, who: str = "user", **overrides: Any) -> dict[str, Any]:
    with world.client(who) as client:
        return ok(client.post("/v1/applications", json=application(**overrides)), 201)


def passed_form(world: World, **overrides: Any) -> int:
    app_id = int(submit(world, **overrides)["id"])
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    return app_id


def approved(world: World, scope: dict[str, Any] | None = None, **overrides: Any) -> int:
    app_id = passed_form(world, **overrides)
    with world.client("provider") as provider:
        done = ok(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "approve", "grant_budget": 2, **(scope or {})},
            )
        )
    return int(done["grant_id"])


def accepted(world: World, scope: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    grant_id = approved(world, scope, **overrides)
    with world.client("user") as user:
        shown = ok(user.get(f"/v1/grants/{grant_id}/agreement"))
        return ok(
            user.post(
                f"/v1/grants/{grant_id}/accept",
                json={"agreement_version": shown["version"], "agreement_sha256": shown["sha256"]},
            )
        )


# ---- eligibility and completeness ----------------------------------------------------------


def test_an_ineligible_user_is_refused_naming_each_failed_condition(world: World) -> None:
    with world.client("user3") as user3:
        refused(
            user3.post("/v1/applications", json=application()),
            403,
            "real-name verification is not recorded",
            "no credit standing",
            "Qingdao art. 16",
        )
    with world.client("authority") as authority:
        for fact, value in (("real_name_verified", "yes"), ("credit_standing", "dishonest_debtor")):
            ok(
                authority.post(
                    f"/v1/users/{world.ids['user3']}/eligibility",
                    json={"fact": fact, "value": value},
                )
            )
    with world.client("user3") as user3:
        message = refused(
            user3.post("/v1/applications", json=application()), 403, "dishonest debtors"
        )
        assert "real-name" not in message
        assert user3.post("/v1/applications", json=application()).json()["error"] == (
            "not_eligible"
        )


def test_eligibility_is_checked_again_when_the_grant_is_taken_up(world: World) -> None:
    app_id = submit(world, "user2")["id"]
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    with world.client("provider") as provider:
        grant_id = ok(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "approve", "grant_budget": 1},
            )
        )["grant_id"]

    def set_credit(value: str) -> None:
        with world.client("authority") as authority:
            ok(
                authority.post(
                    f"/v1/users/{world.ids['user2']}/eligibility",
                    json={"fact": "credit_standing", "value": value},
                )
            )

    set_credit("serious_violation")
    try:
        with world.client("user2") as user2:
            refused(
                user2.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}),
                403,
                "serious violations",
            )
            assert user2.get(f"/v1/grants/{grant_id}").json()["status"] == "pending_acceptance"
    finally:
        set_credit("good")
    with world.client("user2") as user2:
        ok(user2.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}))


def test_an_incomplete_application_is_refused_naming_every_missing_field(world: World) -> None:
    with world.client("user") as user:
        message = refused(user.post("/v1/applications", json={}), 422, "incomplete")
        for name in (
            "title",
            "reason",
            "type",
            "datasets",
            "period_start",
            "period_end",
            "results_form",
            "scenario",
            "security_measures",
            "commitment_signed",
        ):
            assert name in message
        partial = application(scenario="  ", commitment_signed=False)
        del partial["security_measures"]
        message = refused(
            user.post("/v1/applications", json=partial),
            422,
            "scenario",
            "security_measures",
            "commitment_signed",
        )
        assert "title" not in message


@pytest.mark.parametrize(
    ("overrides", "status", "needle"),
    [
        ({"datasets": ["aw_open"]}, 422, "unconditional"),
        ({"datasets": ["aw_closed"]}, 422, "request for data not yet open"),
        ({"datasets": ["nope"]}, 422, "not in the catalog"),
        ({"datasets": ["aw_cond", "aw_other"]}, 422, "more than one provider"),
        ({"type": "spreadsheet"}, 422, "dataset, interface"),
        ({"period_end": "2020-01-01", "period_start": "2019-01-01"}, 422, "in the past"),
        ({"period_end": "not-a-date"}, 422, "period_end"),
        ({"commitment_signed": "maybe"}, 422, "commitment_signed"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_applications_get_a_clear_4xx(
    world: World, overrides: dict[str, Any], status: int, needle: str
) -> None:
    with world.client("user") as user:
        refused(user.post("/v1/applications", json=application(**overrides)), status, needle)


def test_only_users_apply(world: World) -> None:
    for who in ("provider", "authority", "admin"):
        with world.client(who) as client:
            refused(client.post("/v1/applications", json=application()), 403, "user")


# ---- reviews and decisions -----------------------------------------------------------------


def test_the_form_review_passes_with_deadlines_or_returns_with_a_reason(world: World) -> None:
    made = submit(world)
    stage = made["current_stage"]
    started = datetime.fromisoformat(stage["started_at"])
    assert stage["stage"] == "form_review" and stage["assignee_role"] == "authority"
    assert date.fromisoformat(stage["due_on"]) == CALENDAR.due_date(started, 5)
    assert stage["time_left"].endswith("left") and stage["overdue"] is False
    app_id = made["id"]
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}), 403
        )
    with world.client("authority") as authority:
        refused(
            authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "return"}),
            422,
            "reason",
        )
        refused(
            authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "maybe"}),
            422,
            "outcome",
        )
        done = ok(
            authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"})
        )
        assert done["status"] == "provider_review"
        review = done["current_stage"]
        assert review["assignee_org"] == "Health Bureau"
        assert date.fromisoformat(review["due_on"]) == CALENDAR.due_date(
            datetime.fromisoformat(review["started_at"]), 10
        )
        first = done["stages"][0]
        assert first["outcome"] == "passed" and first["closed_by"] == "authority"
        assert first["met_deadline"] is True
        refused(
            authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}),
            409,
            "provider_review",
        )

        other = submit(world)["id"]
        back = ok(
            authority.post(
                f"/v1/applications/{other}/form-review",
                json={"outcome": "return", "reason": "no data protection plan"},
            )
        )
    assert back["status"] == "returned" and back["return_reason"] == "no data protection plan"
    assert back["current_stage"] is None


def test_the_provider_refuses_only_with_reason_and_legal_basis(world: World) -> None:
    app_id = passed_form(world)
    with world.client("other_provider") as other:
        refused(
            other.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "reason": "x", "legal_basis": "y"},
            ),
            403,
            "organisation",
        )
    with world.client("user") as user:
        refused(
            user.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "approve", "grant_budget": 1},
            ),
            403,
        )
    with world.client("provider") as provider:
        refused(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "reason": "identifiable"},
            ),
            422,
            "legal basis",
            "legal_basis",
        )
        refused(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "legal_basis": "PIPL art. 13"},
            ),
            422,
            "missing: reason",
        )
        done = ok(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "reason": "identifiable", "legal_basis": "PIPL art. 13"},
            )
        )
    assert done["status"] == "refused" and done["legal_basis"] == "PIPL art. 13"
    assert done["stages"][-1]["outcome"] == "refused"


@pytest.mark.parametrize(
    ("scope", "needle"),
    [
        ({}, "grant_budget"),
        ({"grant_budget": 100}, "grant_budget epsilon 100 is looser"),
        ({"grant_budget": 1, "job_kinds": ["raw"]}, "raw-access"),
        ({"grant_budget": 1, "job_kinds": ["sql"]}, "job kind"),
        ({"grant_budget": 1, "datasets": ["aw_cond2"]}, "not requested"),
        (
            {"grant_budget": 1, "period_end": (today() + timedelta(days=120)).isoformat()},
            "within the requested",
        ),
        ({"grant_budget": 1, "policy": {"row_count": {"min_count": 2}}}, "min_count"),
        ({"grant_budget": 1, "policy": {"grant_budget": 1}}, "scope's grant_budget"),
        ({"grant_budget": "NaN"}, "grant_budget"),
    ],
)
def test_approvals_outside_the_policy_are_refused(
    world: World, scope: dict[str, Any], needle: str
) -> None:
    app_id = passed_form(world)
    with world.client("provider") as provider:
        refused(
            provider.post(
                f"/v1/applications/{app_id}/decision", json={"outcome": "approve", **scope}
            ),
            422,
            needle,
        )
        assert provider.get(f"/v1/applications/{app_id}").json()["status"] == ("provider_review")


# ---- grants --------------------------------------------------------------------------------


def test_approval_acceptance_opens_the_ledger_and_the_grant_covers_jobs(
    world: World, platform: Platform
) -> None:
    grant_id = approved(
        world,
        {
            "grant_budget": "1.5",
            "job_kinds": ["dp", "raw"],
            "policy": {"row_count": {"min_count": 25}},
        },
        datasets=["aw_cond2"],
    )
    with world.client("user") as user:
        grant = ok(user.get(f"/v1/grants/{grant_id}"))
        assert grant["status"] == "pending_acceptance"
        assert grant["policy"]["row_count"] == {"min_count": 25}
        assert grant["policy"]["grant_budget"] == {"loss": "1.5"}
    ref = grant["ref"]
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="accept its agreement"):
            grant_service.active_grant_for(session, world.ids["user"], "aw_cond2", "dp")
    with world.client("user2") as stranger:
        refused(
            stranger.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}),
            404,
        )
        refused(stranger.get(f"/v1/grants/{grant_id}"), 404)
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "2026.1"}),
            403,
        )
    with world.client("user") as user:
        refused(
            user.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": "1999"}),
            409,
            "2026.1",
        )
        refused(
            user.post(
                f"/v1/grants/{grant_id}/accept",
                json={"agreement_version": "2026.1", "agreement_sha256": "0" * 64},
            ),
            409,
            "not the one in force",
        )
        shown = ok(user.get(f"/v1/grants/{grant_id}/agreement"))
        assert "Conditional data use agreement" in shown["text"]
        active = ok(
            user.post(f"/v1/grants/{grant_id}/accept", json={"agreement_version": shown["version"]})
        )
        assert active["status"] == "active" and active["agreement_sha256"] == shown["sha256"]
        refused(
            user.post(
                f"/v1/grants/{grant_id}/accept", json={"agreement_version": shown["version"]}
            ),
            409,
            "active",
        )

    ledger = SqlLedger(platform.sessions)
    account = ledger.account("aw_cond2", ref)
    assert account.kind is AccountKind.GRANT and account.limit.loss == PrivacyCost.of("1.5").loss
    assert ledger.account("aw_cond2").limit.loss == 20  # the platform default lifetime budget
    ledger.spend(ref, "aw_cond2", PrivacyCost.of("0.5"), "test query", actor=Actor.system())
    assert ledger.remaining(ref, "aw_cond2").loss == 1
    with world.client("provider") as provider:
        budgets = ok(provider.get("/v1/budgets/aw_cond2"))["accounts"]
    assert {a["ref"] for a in budgets} == {"aw_cond2", ref}

    with platform.sessions() as session:
        found = grant_service.active_grant_for(session, world.ids["user"], "aw_cond2", "raw")
        assert found.ref == ref
        with pytest.raises(NoActiveGrant, match="no grant on dataset 'aw_cond'"):
            grant_service.active_grant_for(session, world.ids["user3"], "aw_cond", "dp")
        after = datetime.combine(
            date.fromisoformat(grant["period_end"]) + timedelta(days=1),
            datetime.min.time(),
            tzinfo=UTC,
        )
        with pytest.raises(NoActiveGrant, match=f"{ref} expired at the end of"):
            grant_service.active_grant_for(session, world.ids["user"], "aw_cond2", "dp", at=after)
        holder = Actor(user_id=world.ids["user"], username="user", role=Role.USER)
        lapsed = grant_service.get_grant(session, holder, grant_id, now=after)
        assert lapsed.status.value == "expired" and lapsed.stored_status.value == "active"


def test_the_provider_suspends_resumes_and_revokes(world: World, platform: Platform) -> None:
    grant = accepted(world)
    grant_id, ref = grant["id"], grant["ref"]
    with world.client("other_provider") as other:
        refused(other.post(f"/v1/grants/{grant_id}/suspend", json={"reason": "x"}), 404)
    with world.client("user") as user:
        refused(user.post(f"/v1/grants/{grant_id}/suspend", json={"reason": "x"}), 403)
    with world.client("provider") as provider:
        refused(provider.post(f"/v1/grants/{grant_id}/suspend", json={}), 422, "reason")
        refused(provider.post(f"/v1/grants/{grant_id}/resume", json={}), 409, "active")
        done = ok(
            provider.post(
                f"/v1/grants/{grant_id}/suspend", json={"reason": "complaint under review"}
            )
        )
        assert done["status"] == "suspended"
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="suspended by the provider: complaint"):
            grant_service.active_grant_for(
                session, world.ids["user"], "aw_cond", "dp", grant_ref=ref
            )
    with world.client("provider") as provider:
        assert ok(provider.post(f"/v1/grants/{grant_id}/resume", json={}))["status"] == "active"
        revoked = ok(
            provider.post(
                f"/v1/grants/{grant_id}/revoke", json={"reason": "security duties not met"}
            )
        )
        assert revoked["status"] == "revoked"
        refused(provider.post(f"/v1/grants/{grant_id}/resume", json={}), 409, "revoked")
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="revoked"):
            grant_service.active_grant_for(
                session, world.ids["user"], "aw_cond", "dp", grant_ref=ref
            )
    with world.client("auditor") as auditor:
        entries = ok(auditor.get("/v1/audit", params={"object_id": ref, "limit": 50}))["data"]
    actions = [e["action"] for e in entries]
    for action in ("grant.create", "grant.accept", "grant.suspend", "grant.resume", "grant.revoke"):
        assert action in actions
    assert (
        actions.index("grant.create")
        < actions.index("grant.accept")
        < actions.index("grant.revoke")
    )


def test_who_sees_applications_and_grants(world: World) -> None:
    app_id = int(submit(world)["id"])
    with world.client("user2") as user2, world.client("other_provider") as other:
        refused(user2.get(f"/v1/applications/{app_id}"), 404)
        refused(other.get(f"/v1/applications/{app_id}"), 404)
        assert all(a["applicant"] == "user2" for a in user2.get("/v1/applications").json())
        assert other.get("/v1/applications").json() == []
        assert other.get("/v1/grants").json() == []
    with world.client("provider") as provider:
        mine = provider.get("/v1/applications", params={"status": "submitted"}).json()
        assert app_id in [a["id"] for a in mine]
        refused(provider.get("/v1/applications", params={"status": "lost"}), 422, "status")
    with world.client("auditor") as auditor:
        ok(auditor.get(f"/v1/applications/{app_id}"))


# ---- requests for unopened data ------------------------------------------------------------


def test_a_request_for_unopened_data_goes_through_every_stage(world: World) -> None:
    with world.client("user") as user:
        refused(user.post("/v1/demands", json={"description": " "}), 422, "description")
        refused(
            user.post("/v1/demands", json={"description": "x", "dataset": "aw_open"}),
            422,
            "already open",
        )
        made = ok(
            user.post(
                "/v1/demands",
                json={"description": "household survey microdata", "dataset": "aw_later"},
            ),
            201,
        )
    assert made["provider_org"] == "Health Bureau" and made["status"] == "submitted"
    assert made["current_stage"]["stage"] == "form_review"
    demand = made["id"]
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/demands/{demand}/answer", json={"outcome": "agree"}),
            409,
            "submitted",
        )
    with world.client("authority") as authority:
        passed = ok(authority.post(f"/v1/demands/{demand}/form-review", json={"outcome": "pass"}))
    review = passed["current_stage"]
    assert review["stage"] == "provider_review" and review["assignee_org"] == "Health Bureau"
    assert date.fromisoformat(review["due_on"]) == CALENDAR.due_date(
        datetime.fromisoformat(review["started_at"]), 10
    )
    with world.client("other_provider") as other:
        refused(other.post(f"/v1/demands/{demand}/answer", json={"outcome": "agree"}), 403)
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/demands/{demand}/answer", json={"outcome": "refuse"}), 422, "reason"
        )
        agreed = ok(
            provider.post(
                f"/v1/demands/{demand}/answer",
                json={"outcome": "agree", "reason": "we will publish it"},
            )
        )
        opening = agreed["current_stage"]
        assert opening["stage"] == "opening" and agreed["status"] == "agreed"
        assert date.fromisoformat(opening["due_on"]) == CALENDAR.due_date(
            datetime.fromisoformat(opening["started_at"]), 20
        )
        refused(
            provider.post(f"/v1/demands/{demand}/opened", json={"dataset": "aw_later"}),
            422,
            "still not open",
        )
        refused(
            provider.post(f"/v1/demands/{demand}/opened", json={"dataset": "aw_other"}),
            422,
            "not one of your organisation's",
        )
        done = ok(provider.post(f"/v1/demands/{demand}/opened", json={"dataset": "aw_open"}))
    assert done["status"] == "opened" and done["opened_dataset"] == "aw_open"
    assert [s["stage"] for s in done["stages"]] == ["form_review", "provider_review", "opening"]
    assert all(not s["open"] and s["closed_by"] for s in done["stages"])


def test_requests_are_returned_or_refused_with_reasons(world: World) -> None:
    with world.client("user") as user:
        one = ok(user.post("/v1/demands", json={"description": "bus GPS traces"}), 201)["id"]
        two = ok(user.post("/v1/demands", json={"description": "hospital waiting times"}), 201)[
            "id"
        ]
    with world.client("authority") as authority:
        refused(
            authority.post(f"/v1/demands/{one}/form-review", json={"outcome": "pass"}),
            422,
            "provider_org_id",
        )
        refused(
            authority.post(f"/v1/demands/{one}/form-review", json={"outcome": "return"}),
            422,
            "reason",
        )
        back = ok(
            authority.post(
                f"/v1/demands/{one}/form-review", json={"outcome": "return", "reason": "too vague"}
            )
        )
        assert back["status"] == "returned" and back["return_reason"] == "too vague"
        ok(
            authority.post(
                f"/v1/demands/{two}/form-review",
                json={"outcome": "pass", "provider_org_id": world.orgs["transport"]},
            )
        )
    with world.client("other_provider") as other:
        no = ok(
            other.post(
                f"/v1/demands/{two}/answer",
                json={
                    "outcome": "refuse",
                    "reason": "contains patient data",
                    "legal_basis": "PIPL art. 28",
                },
            )
        )
    assert no["status"] == "refused" and no["answer"] == "contains patient data"
    with world.client("provider") as provider:
        refused(provider.get(f"/v1/demands/{two}"), 404)


# ---- deadlines -----------------------------------------------------------------------------


def test_the_authority_lists_overdue_items(world: World) -> None:
    app_id = int(submit(world, title="Waiting for review")["id"])
    with world.client("user") as user:
        demand = ok(user.post("/v1/demands", json={"description": "late one"}), 201)["id"]
    later = (today() + timedelta(days=60)).isoformat()
    with world.client("authority") as authority:
        assert app_id not in [
            i["stage"]["subject_id"]
            for i in ok(authority.get("/v1/deadlines/overdue"))["data"]
            if i["stage"]["subject"] == "application"
        ]
        listed = ok(authority.get("/v1/deadlines/overdue", params={"on": later}))
        refused(authority.get("/v1/deadlines/overdue", params={"on": "soon"}), 422, "on")
    items = {(i["stage"]["subject"], i["stage"]["subject_id"]): i for i in listed["data"]}
    item = items[("application", app_id)]
    assert item["title"] == "Waiting for review" and item["status"] == "submitted"
    assert item["stage"]["overdue"] is True and "overdue by" in item["stage"]["time_left"]
    assert ("demand", demand) in items
    assert listed["count"] == len(listed["data"]) and listed["on"] == later
    for who in ("user", "provider", "reviewer"):
        with world.client(who) as client:
            refused(client.get("/v1/deadlines/overdue"), 403)


# ---- the client and the CLI ----------------------------------------------------------------


def test_the_client_walks_an_application_to_an_active_grant(world: World) -> None:
    with (
        world.api("user") as user,
        world.api("authority") as authority,
        world.api("provider") as provider,
    ):
        made = user.submit_application(
            title="Client study",
            reason="r",
            datasets=["aw_cond"],
            period_start=today().isoformat(),
            period_end=(today() + timedelta(days=30)).isoformat(),
            results_form="tables",
            scenario="s",
            security_measures="m",
            commitment_signed=True,
        )
        authority.review_application_form(made["id"], passed=True)
        done = provider.approve_application(
            made["id"], grant_budget="0.5", policy="row_count: {min_count: 15}\n"
        )
        grant = user.accept_grant(done["grant_id"])
        assert grant["status"] == "active"
        assert grant["id"] in [g["id"] for g in user.list_grants(status="active")]
        with pytest.raises(SandboxAPIError) as refusal:
            provider.refuse_application(made["id"], reason="x", legal_basis="y")
        assert refusal.value.status == 409
        assert provider.suspend_grant(grant["id"], "check")["status"] == "suspended"
        assert user.get_grant(grant["id"])["status_reason"] == "check"


def test_the_cli_applies_reviews_and_accepts(world: World, tmp_path: Path) -> None:
    def cli(who: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(world.server.env, SANDBOX_URL=world.server.url, SANDBOX_TOKEN=world.tokens[who])
        result = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    fields = tmp_path / "application.json"
    fields.write_text(json.dumps(application(title="CLI study")))
    app_id = cli("user", "applications", "submit", str(fields)).stdout.strip()
    cli("authority", "applications", "form-review", app_id, "--pass")
    grant_id = cli("provider", "applications", "approve", app_id, "--budget", "1").stdout.strip()
    shown = cli("user", "applications", "show", app_id).stdout
    assert "CLI study" in shown and "approved" in shown
    accepted_run = cli("user", "grants", "accept", grant_id, "--version", "2026.1")
    assert "is active" in accepted_run.stderr
    assert "active" in cli("user", "grants", "list").stdout


# ---- bad input is a 4xx, never a 500 -------------------------------------------------------


WEIRD_BODIES: list[Any] = [
    None,
    [],
    "text",
    0,
    {"outcome": None},
    {"outcome": "pass", "reason": 5},
    {"outcome": "approve", "grant_budget": {"loss": []}},
    {"outcome": "approve", "grant_budget": "1e999"},
    {"outcome": "approve", "grant_budget": -1},
    {"outcome": "approve", "grant_budget": {"loss": 1, "delta": 2}},
    {"outcome": "approve", "grant_budget": 1, "policy": "[1, 2]"},
    {"outcome": "approve", "grant_budget": 1, "policy": "{"},
    {"outcome": "approve", "grant_budget": 1, "policy": {"row_count": {"min_count": -1}}},
    {"outcome": "approve", "grant_budget": 1, "policy": {"lifetime_budget": 1}},
    {"outcome": "approve", "grant_budget": 1, "period_start": "0001-01-01"},
    {"outcome": "approve", "grant_budget": 1, "datasets": ["x" * 5000]},
    {"outcome": "pass", "provider_org_id": 2**63},
    {"outcome": "agree", "reason": "x" * 30_000},
    {"agreement_version": ""},
    {"agreement_version": "v", "agreement_sha256": "short"},
    {"dataset": ""},
    {"description": 3},
    {"reason": None},
    {"title": "t", "datasets": "aw_cond"},
    {"period_start": "9999-12-31"},
]


def test_no_bad_input_is_a_server_error(world: World) -> None:
    app_id = passed_form(world)
    posts = {
        "user": ["/v1/applications", f"/v1/grants/{app_id}/accept", "/v1/demands"],
        "authority": [f"/v1/applications/{app_id}/form-review", "/v1/demands/1/form-review"],
        "provider": [
            f"/v1/applications/{app_id}/decision",
            "/v1/grants/1/suspend",
            "/v1/demands/1/answer",
            "/v1/demands/1/opened",
        ],
    }
    for who, paths in posts.items():
        with world.client(who) as client:
            for path in paths:
                for body in WEIRD_BODIES:
                    response = client.post(path, json=body)
                    assert 400 <= response.status_code < 500, (path, body, response.text)
            for ident in ("0", "-1", str(2**63), "abc"):
                for path in (
                    f"/v1/applications/{ident}",
                    f"/v1/grants/{ident}",
                    f"/v1/demands/{ident}",
                    f"/v1/grants/{ident}/agreement",
                ):
                    response = client.get(path)
                    assert response.status_code in (404, 422), (path, response.text)
    with world.client("user") as user:
        far = application(
            period_start=(today() + timedelta(days=4000)).isoformat(),
            period_end=(today() + timedelta(days=4001)).isoformat(),
        )
        refused(user.post("/v1/applications", json=far), 422, "at most")
        refused(
            user.post("/v1/applications", json=application(period_start="0001-01-01")),
            422,
            "at most",
        )
    with world.client("authority") as authority:
        for on in ("0001-01-01", "9999-12-31"):
            refused(authority.get("/v1/deadlines/overdue", params={"on": on}), 422, "between")
        assert authority.get("/v1/applications/1").status_code == 200
    with world.client("provider") as provider:
        assert provider.get(f"/v1/applications/{app_id}").json()["status"] == "provider_review"


# ---- resubmission and re-review ------------------------------------------------------------


def test_a_returned_application_is_amended_and_resubmitted(world: World) -> None:
    app_id = int(submit(world)["id"])
    with world.client("authority") as authority:
        ok(
            authority.post(
                f"/v1/applications/{app_id}/form-review",
                json={"outcome": "return", "reason": "security measures too vague"},
            )
        )
    with world.client("user2") as stranger:
        refused(stranger.put(f"/v1/applications/{app_id}", json=application()), 404)
    with world.client("user") as user:
        # A bad amendment is refused and changes nothing.
        refused(
            user.put(f"/v1/applications/{app_id}", json=application(security_measures="")),
            422,
            "security_measures",
        )
        assert ok(user.get(f"/v1/applications/{app_id}"))["status"] == "returned"
        again = ok(
            user.put(
                f"/v1/applications/{app_id}",
                json=application(security_measures="air-gapped workstation, audit of every use"),
            )
        )
        assert again["status"] == "submitted" and again["return_reason"] == ""
        assert again["security_measures"].startswith("air-gapped")
        kinds = [(s["stage"], s["outcome"]) for s in again["stages"]]
        assert kinds == [("form_review", "returned"), ("form_review", "")]
        assert again["current_stage"]["working_days_left"] == 5
        refused(user.put(f"/v1/applications/{app_id}", json=application()), 409, "submitted")
    with world.client("auditor") as auditor:
        trail = ok(auditor.get("/v1/audit", params={"action": "application.resubmit"}))["data"]
    assert any(e["object_id"] == str(app_id) for e in trail)


def _refused_application(world: World) -> int:
    app_id = passed_form(world)
    with world.client("provider") as provider:
        ok(
            provider.post(
                f"/v1/applications/{app_id}/decision",
                json={"outcome": "refuse", "reason": "identifiable", "legal_basis": "PIPL art. 13"},
            )
        )
    return app_id


def test_a_refusal_is_re_reviewed_once_upheld_or_overturned(world: World) -> None:
    upheld, overturned = _refused_application(world), _refused_application(world)
    with world.client("user") as user:
        refused(user.post(f"/v1/applications/{upheld}/re-review", json={"reason": ""}), 422)
        asked = ok(
            user.post(
                f"/v1/applications/{upheld}/re-review",
                json={"reason": "the tables are aggregated to districts of 10,000 people"},
            )
        )
        assert asked["status"] == "re_review"
        assert asked["current_stage"]["stage"] == "re_review"
        assert asked["current_stage"]["working_days_left"] == 15
        ok(user.post(f"/v1/applications/{overturned}/re-review", json={"reason": "aggregates"}))
    with world.client("provider") as provider:
        refused(
            provider.post(
                f"/v1/applications/{upheld}/re-review/answer",
                json={"outcome": "uphold", "opinion": "x"},
            ),
            403,
        )
    with world.client("authority") as authority:
        final = ok(
            authority.post(
                f"/v1/applications/{upheld}/re-review/answer",
                json={"outcome": "uphold", "opinion": "the expert committee finds it identifiable"},
            )
        )
        back = ok(
            authority.post(
                f"/v1/applications/{overturned}/re-review/answer",
                json={"outcome": "overturn", "opinion": "aggregates suffice; decide again"},
            )
        )
    assert final["status"] == "refused" and final["stages"][-1]["outcome"] == "upheld"
    assert back["status"] == "provider_review"
    assert back["current_stage"]["stage"] == "provider_review"
    with world.client("user") as user:
        refused(
            user.post(f"/v1/applications/{upheld}/re-review", json={"reason": "again"}),
            409,
            "final",
        )
    with world.client("provider") as provider:
        done = ok(
            provider.post(
                f"/v1/applications/{overturned}/decision",
                json={"outcome": "approve", "grant_budget": 1},
            )
        )
    assert done["status"] == "approved" and done["grant_id"]


def test_a_refused_request_for_unopened_data_is_re_reviewed(world: World) -> None:
    with world.client("user") as user:
        demand = ok(user.post("/v1/demands", json={"description": "bus punctuality"}), 201)["id"]
    with world.client("authority") as authority:
        ok(
            authority.post(
                f"/v1/demands/{demand}/form-review",
                json={"outcome": "pass", "provider_org_id": world.orgs["health"]},
            )
        )
    with world.client("provider") as provider:
        ok(
            provider.post(
                f"/v1/demands/{demand}/answer",
                json={"outcome": "refuse", "reason": "not ours to open"},
            )
        )
    with world.client("user2") as stranger:
        refused(stranger.post(f"/v1/demands/{demand}/re-review", json={"reason": "x"}), 404)
    with world.client("user") as user:
        asked = ok(user.post(f"/v1/demands/{demand}/re-review", json={"reason": "it is yours"}))
    assert asked["status"] == "re_review"
    with world.client("authority") as authority:
        agreed = ok(
            authority.post(
                f"/v1/demands/{demand}/re-review/answer",
                json={"outcome": "overturn", "opinion": "the bureau holds it: open it"},
            )
        )
    assert agreed["status"] == "agreed"
    assert agreed["current_stage"]["stage"] == "opening"
    assert agreed["current_stage"]["working_days_left"] == 20


def test_a_providers_own_agreement_is_accepted_beside_the_platforms(world: World) -> None:
    grant_id = approved(world)
    org = world.orgs["health"]
    terms = {"version": "hb-3", "text": "Cite the Health Bureau in every publication."}
    with world.client("other_provider") as other:
        refused(other.put(f"/v1/organisations/{org}/agreement", json=terms), 403)
    with world.client("user") as user:
        refused(user.put(f"/v1/organisations/{org}/agreement", json=terms), 403)
        platform_only = ok(user.get(f"/v1/grants/{grant_id}/agreement"))
    try:
        with world.client("provider") as provider:
            set_ = ok(provider.put(f"/v1/organisations/{org}/agreement", json=terms))
            assert set_["version"] == "hb-3" and set_["sha256"]
        with world.client("user") as user:
            shown = ok(user.get(f"/v1/grants/{grant_id}/agreement"))
            assert shown["version"] == f"{platform_only['version']}+{org}:hb-3"
            assert shown["text"].startswith(platform_only["text"].rstrip())
            assert "Cite the Health Bureau" in shown["text"]
            refused(
                user.post(
                    f"/v1/grants/{grant_id}/accept",
                    json={"agreement_version": platform_only["version"]},
                ),
                409,
                "read it again",
            )
            done = ok(
                user.post(
                    f"/v1/grants/{grant_id}/accept",
                    json={
                        "agreement_version": shown["version"],
                        "agreement_sha256": shown["sha256"],
                    },
                )
            )
        assert done["status"] == "active" and done["agreement_version"] == shown["version"]
        with world.client("auditor") as auditor:
            read = ok(auditor.get(f"/v1/organisations/{org}/agreement"))
        assert read["text"] == terms["text"]
    finally:
        with world.client("provider") as provider:
            gone = ok(provider.delete(f"/v1/organisations/{org}/agreement"))
    assert gone["version"] is None and gone["text"] == ""
