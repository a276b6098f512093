"""Oversight over the real HTTP server: complaints with evidence, suspensions that block
downloads, previews and ``active_grant_for``, reprocessing and withdrawal, the leak trace,
objections, usage and risk reports with enforcement, data products, statistics; the
client and the CLI; every refusal.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import audit
from sandbox.access import grants as grant_service
from sandbox.access.errors import NoActiveGrant
from sandbox.client import SandboxAPIError
from sandbox.identity.model import Actor, Role
from sandbox.ledger import SqlLedger
from sandbox.ledger import sql as ledger_sql
from sandbox.oversight import is_suspended, reports
from sandbox.oversight.complaints import MAX_EVIDENCE_BYTES
from sandbox.platform import Platform
from sandbox.policies import PrivacyCost
from sandbox.policies.budget import Accounting
from sandbox.store import transaction
from tests.support.datafiles import (
    metadata,
    parquet_bytes,
    pass_review,
    people_table,
    register,
    upload,
)
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import CALENDAR, World, add_users, make_eligible, today, world_of
from tests.support.world import grant as approved_grant

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]


DATASETS = (
    ("ov_cond", "conditional"),
    ("ov_end", "conditional"),
    ("ov_open", "unconditional"),
    ("ov_fix", "unconditional"),
    ("ov_leak", "unconditional"),
    ("ov_closed", "closed"),
)


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    with made.client("provider") as provider:
        for name, attribute in DATASETS:
            ok(register(provider, parquet_bytes(people_table(30)), metadata(name, attribute)), 201)
    with made.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table(30)), metadata("ov_other")), 201)
    add_users(made, "user2")
    make_eligible(made, "user", "user2")
    return made


@pytest.fixture
def platform(world: World) -> Iterator[Platform]:
    opened = world.server.open_platform()
    yield opened
    opened.close()


def grant(
    world: World,
    who: str = "user",
    datasets: tuple[str, ...] = ("ov_cond",),
    accept: bool = True,
    **scope: Any,
) -> dict[str, Any]:
    return approved_grant(
        world, who, datasets, title="Oversight study", grant_budget=1, accept=accept, **scope
    )


def staged(client: httpx.Client, rows: int = 30, offset: int = 0) -> str:
    made = upload(client, parquet_bytes(people_table(rows, offset)))
    assert made.status_code == 201, made.text
    return str(made.json()["upload_id"])


# ---- complaints, suspension, reprocessing ------------------------------------------------


def test_a_complaint_with_evidence_suspends_and_reprocesses_a_dataset(world: World) -> None:
    with world.client("user") as user:
        refused(
            user.post(
                "/v1/complaints", json={"dataset": "ov_open", "kind": "gossip", "description": "x"}
            ),
            422,
            "kind",
        )
        refused(
            user.post(
                "/v1/complaints",
                json={"dataset": "ov_open", "kind": "privacy", "description": "  "},
            ),
            422,
            "description",
        )
        refused(
            user.post(
                "/v1/complaints", json={"dataset": "nope", "kind": "privacy", "description": "x"}
            ),
            404,
        )
        made = ok(
            user.post(
                "/v1/complaints",
                json={
                    "dataset": "ov_open",
                    "kind": "privacy",
                    "description": "my address is in it",
                    "evidence_text": "row 12 holds my street",
                },
            ),
            201,
        )
        stage = made["current_stage"]
        assert stage["stage"] == "answer" and stage["assignee_org"] == "Health Bureau"
        assert date.fromisoformat(stage["due_on"]) == CALENDAR.due_date(
            datetime.fromisoformat(stage["started_at"]), 10
        )
        complaint = made["id"]
        evidence = ok(
            user.post(
                f"/v1/complaints/{complaint}/evidence",
                content=b"%PDF proof",
                headers={"X-Filename": "../../etc/proof.pdf"},
            ),
            201,
        )
        assert evidence["filename"] == "etc_proof.pdf" and evidence["byte_size"] == 10
        refused(
            user.post(
                f"/v1/complaints/{complaint}/evidence", content=b"x" * (MAX_EVIDENCE_BYTES + 1)
            ),
            413,
            "limit",
        )
        refused(user.post(f"/v1/complaints/{complaint}/evidence", content=b""), 422, "empty")
    with world.client("provider") as provider:
        refused(
            provider.post(f"/v1/complaints/{complaint}/evidence", content=b"x"), 403, "complainant"
        )
        got = provider.get(f"/v1/complaints/{complaint}/evidence/{evidence['id']}")
        assert got.status_code == 200 and got.content == b"%PDF proof"
        assert "etc_proof.pdf" in got.headers["content-disposition"]
        assert provider.get("/v1/datasets/ov_open/download").status_code == 200
    for who in ("other_provider", "reviewer", "user2"):
        with world.client(who) as stranger:
            refused(stranger.get(f"/v1/complaints/{complaint}"), 404)
            refused(stranger.get(f"/v1/complaints/{complaint}/evidence/{evidence['id']}"), 404)
    with world.client("other_provider") as other:
        refused(other.post("/v1/datasets/ov_open/suspend", json={"reason": "x"}), 403)
    with world.client("provider") as provider:
        refused(provider.post("/v1/datasets/ov_open/suspend", json={"reason": " "}), 422)
        refused(
            provider.post("/v1/datasets/ov_open/suspension/resolve", json={"outcome": "restore"}),
            409,
            "not suspended",
        )
        suspension = ok(
            provider.post(
                "/v1/datasets/ov_open/suspend",
                json={"reason": "privacy complaint under review", "complaint_id": complaint},
            ),
            201,
        )
        assert suspension["in_force"] and suspension["complaint_id"] == complaint
        refused(
            provider.post("/v1/datasets/ov_open/suspend", json={"reason": "again"}),
            409,
            "suspended",
        )
    with world.client("user") as user:
        for path in (
            "/v1/datasets/ov_open/download",
            "/v1/datasets/ov_open/download?format=csv",
            "/v1/datasets/ov_open/rows",
            "/v1/datasets/ov_open/preview",
        ):
            assert refused(
                user.get(path), 403, "suspended by its provider", "privacy complaint under review"
            )
        assert ok(user.get(f"/v1/complaints/{complaint}"))["dataset_suspended"] is True
        assert ok(user.get("/v1/datasets/ov_open"))["name"] == "ov_open"  # the entry stays
    with world.client("provider") as provider:
        refused(
            provider.post(
                f"/v1/complaints/{complaint}/answer",
                json={"outcome": "reprocess", "answer": "masked"},
            ),
            422,
            "upload_id",
        )
        refused(
            provider.post(
                f"/v1/complaints/{complaint}/answer",
                json={"outcome": "reprocess", "answer": "masked", "upload_id": staged(provider)},
            ),
            422,
            "method",
        )
        refused(
            provider.post(
                f"/v1/complaints/{complaint}/answer", json={"outcome": "restore", "answer": " "}
            ),
            422,
            "answer",
        )
        done = ok(
            provider.post(
                f"/v1/complaints/{complaint}/answer",
                json={
                    "outcome": "reprocess",
                    "answer": "street names removed",
                    "upload_id": staged(provider, 30, 500),
                    "method": "suppression",
                    "description": "street column dropped",
                },
            )
        )
        assert done["status"] == "answered" and done["outcome"] == "reprocessed"
        # the reprocessed version waits for the authority's review: the dataset stays
        # suspended, so the version it replaces is never served again meanwhile
        assert done["new_version"] == 2 and done["dataset_suspended"] is True
        assert done["current_stage"] is None and done["stages"][0]["met_deadline"] is True
        refused(
            provider.post(
                f"/v1/complaints/{complaint}/answer", json={"outcome": "restore", "answer": "x"}
            ),
            409,
            "answered",
        )
        history = ok(provider.get("/v1/datasets/ov_open/suspensions"))
        assert history[0]["resolution"] == "reprocessed" and history[0]["new_version"] == 2
        entry = ok(provider.get("/v1/datasets/ov_open"))
        assert [(d["method"], d["version"]) for d in entry["desensitisations"]] == [
            ("suppression", 2)
        ]
    with world.client("user") as user:
        refused(user.get("/v1/datasets/ov_open/download"), 403)
    with world.client("provider") as provider:
        pass_review(provider, "ov_open", 2)
    with world.client("user") as user:
        served = user.get("/v1/datasets/ov_open/download")
        assert served.status_code == 200 and served.headers["x-dataset-version"] == "2"


def test_a_suspension_blocks_active_grant_for_until_restored_and_end_withdraws(
    world: World, platform: Platform
) -> None:
    held = grant(world, datasets=("ov_cond",))
    user_id = world.ids["user"]
    with platform.sessions() as session:
        assert (
            grant_service.active_grant_for(session, user_id, "ov_cond", "dp").ref == (held["ref"])
        )
        assert is_suspended(session, "ov_cond") is None
    with world.client("provider") as provider:
        ok(provider.post("/v1/datasets/ov_cond/suspend", json={"reason": "suspected leak"}), 201)
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="suspended by its provider.*suspected leak"):
            grant_service.active_grant_for(session, user_id, "ov_cond", "dp")
        found = is_suspended(session, "ov_cond")
        assert found is not None and found.reason == "suspected leak"
    with world.client("user") as user:
        refused(user.get("/v1/datasets/ov_cond/preview"), 403, "suspended")
    with world.client("provider") as provider:
        refused(
            provider.post("/v1/datasets/ov_cond/suspension/resolve", json={"outcome": "reprocess"}),
            422,
            "upload_id",
        )
        refused(
            provider.post(
                "/v1/datasets/ov_cond/suspension/resolve",
                json={"outcome": "restore", "upload_id": "0" * 32},
            ),
            422,
            "only a reprocessing",
        )
        back = ok(
            provider.post(
                "/v1/datasets/ov_cond/suspension/resolve",
                json={"outcome": "restore", "note": "no leak found"},
            )
        )
        assert back["resolution"] == "restored" and back["in_force"] is False
    with platform.sessions() as session:
        assert grant_service.active_grant_for(session, user_id, "ov_cond", "dp")
    with world.client("user") as user:
        assert ok(user.get("/v1/datasets/ov_cond/preview"))["synthetic"] is True

    # A complaint answered with 'end' withdraws a dataset for good, suspended or not.
    withdrawn = grant(world, datasets=("ov_end",))
    with world.client("user2") as user2:
        complaint = ok(
            user2.post(
                "/v1/complaints",
                json={"dataset": "ov_end", "kind": "trade_secret", "description": "our prices"},
            ),
            201,
        )
    with world.client("provider") as provider:
        done = ok(
            provider.post(
                f"/v1/complaints/{complaint['id']}/answer",
                json={"outcome": "end", "answer": "withdrawn"},
            )
        )
        assert done["outcome"] == "ended" and done["dataset_suspended"] is True
        history = ok(provider.get("/v1/datasets/ov_end/suspensions"))
        assert history[0]["withdrawn"] and history[0]["in_force"]
        refused(
            provider.post("/v1/datasets/ov_end/suspension/resolve", json={"outcome": "restore"}),
            409,
            "withdrawn",
        )
        refused(
            provider.post("/v1/datasets/ov_end/suspend", json={"reason": "x"}), 409, "withdrawn"
        )
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="withdrawn"):
            grant_service.active_grant_for(
                session, user_id, "ov_end", "dp", grant_ref=withdrawn["ref"]
            )


# ---- the leak trace ------------------------------------------------------------------------


def test_the_leak_trace_lists_downloads_queries_previews_jobs_and_charges(
    world: World, platform: Platform
) -> None:
    with world.client("user") as user:
        assert user.get("/v1/datasets/ov_leak/download").status_code == 200
    with world.client("provider") as provider:
        ok(
            provider.post(
                "/v1/datasets/ov_leak/versions",
                json={"source": {"upload_id": staged(provider, 10)}},
            ),
            201,
        )
        pass_review(provider, "ov_leak", 2)
    with world.client("user2") as user2:
        assert user2.get("/v1/datasets/ov_leak/download?version=2").status_code == 200
        ok(user2.get("/v1/datasets/ov_leak/rows", params={"version": 1, "limit": 5}))
        ok(user2.get("/v1/datasets/ov_leak/preview"))
    system = Actor.system()
    with transaction(platform.sessions) as session:
        ledger_sql.open_dataset_account(
            session,
            dataset="ov_leak",
            limit=PrivacyCost.of(5),
            accounting=Accounting.PURE,
            actor=system,
        )
        ledger_sql.open_grant_account(
            session,
            grant="grant-leak",
            dataset="ov_leak",
            limit=PrivacyCost.of(1),
            accounting=Accounting.PURE,
            actor=system,
        )
        audit.record(
            session,
            system,
            "job.start",
            object_type="job",
            object_id="job-1",
            detail={"datasets": ["ov_leak"], "grant": "grant-leak"},
        )
    charge = SqlLedger(platform.sessions).spend(
        "grant-leak", "ov_leak", PrivacyCost.of("0.25"), "leak test query", actor=system
    )
    for who in ("user", "other_provider", "reviewer"):
        with world.client(who) as stranger:
            refused(stranger.get("/v1/datasets/ov_leak/trace"), 403)
    with world.client("authority") as authority:
        refused(authority.get("/v1/datasets/ov_leak/trace", params={"version": 9}), 404)
        refused(authority.get("/v1/datasets/nope/trace"), 404)
        full = ok(authority.get("/v1/datasets/ov_leak/trace"))
    kinds = [i["kind"] for i in full["data"]]
    for kind in ("register", "download", "query", "preview", "job", "charge"):
        assert kind in kinds, kinds
    assert [i["seq"] for i in full["data"]] == sorted(i["seq"] for i in full["data"])
    downloads = [(i["actor"], i["version"]) for i in full["data"] if i["kind"] == "download"]
    assert downloads == [("user", 1), ("user2", 2)]
    charged = next(i for i in full["data"] if i["kind"] == "charge")
    assert charged["charge"]["id"] == charge.id and charged["charge"]["grant"] == "grant-leak"
    assert charged["charge"]["loss"] == 0.25 and charged["version"] is None
    assert kinds.index("download") < kinds.index("job") < kinds.index("charge")
    with world.client("provider") as provider:
        v1 = ok(provider.get("/v1/datasets/ov_leak/trace", params={"version": 1}))
    v1_kinds = [(i["kind"], i["version"]) for i in v1["data"]]
    assert ("download", 1) in v1_kinds and ("download", 2) not in v1_kinds
    assert ("query", 1) in v1_kinds and ("charge", None) in v1_kinds
    with world.client("auditor") as auditor:
        entries = ok(
            auditor.get("/v1/audit", params={"action": "dataset.trace", "object_id": "ov_leak"})
        )["data"]
    assert {e["actor"] for e in entries} == {"authority", "provider"}


# ---- objections ----------------------------------------------------------------------------


def test_objections_are_answered_with_the_corrected_version(world: World) -> None:
    with world.client("user") as user:
        refused(
            user.post(
                "/v1/objections", json={"dataset": "ov_fix", "kind": "typo", "description": "x"}
            ),
            422,
            "kind",
        )
        made = ok(
            user.post(
                "/v1/objections",
                json={"dataset": "ov_fix", "kind": "error", "description": "ages off by one"},
            ),
            201,
        )
        other = ok(
            user.post(
                "/v1/objections",
                json={
                    "dataset": "ov_fix",
                    "kind": "omission",
                    "description": "district West missing",
                },
            ),
            201,
        )
    assert made["version_at_filing"] == 1 and made["current_stage"]["stage"] == "answer"
    assert date.fromisoformat(made["current_stage"]["due_on"]) == CALENDAR.due_date(
        datetime.fromisoformat(made["current_stage"]["started_at"]), 10
    )
    objection = made["id"]
    with world.client("other_provider") as stranger:
        refused(
            stranger.post(
                f"/v1/objections/{objection}/answer", json={"outcome": "rejected", "answer": "x"}
            ),
            404,
        )
    with world.client("user") as user:
        refused(
            user.post(
                f"/v1/objections/{objection}/answer", json={"outcome": "rejected", "answer": "x"}
            ),
            403,
        )
    with world.client("provider") as provider:
        refused(
            provider.post(
                f"/v1/objections/{objection}/answer",
                json={"outcome": "corrected", "answer": "fixed", "version": 1},
            ),
            422,
            "not newer",
        )
        refused(
            provider.post(
                f"/v1/objections/{objection}/answer",
                json={"outcome": "corrected", "answer": "fixed", "version": 7},
            ),
            422,
            "no version 7",
        )
        ok(
            provider.post(
                "/v1/datasets/ov_fix/versions",
                json={"source": {"upload_id": staged(provider, 30, 1)}, "note": "ages corrected"},
            ),
            201,
        )
        done = ok(
            provider.post(
                f"/v1/objections/{objection}/answer",
                json={"outcome": "corrected", "answer": "fixed in v2", "version": 2},
            )
        )
        assert done["status"] == "answered" and done["corrected_version"] == 2
        assert done["stages"][0]["outcome"] == "corrected"
        refused(
            provider.post(
                f"/v1/objections/{objection}/answer", json={"outcome": "rejected", "answer": "x"}
            ),
            409,
        )
        refused(
            provider.post(
                f"/v1/objections/{other['id']}/answer",
                json={"outcome": "rejected", "answer": "x", "version": 2},
            ),
            422,
            "only a correction",
        )
        no = ok(
            provider.post(
                f"/v1/objections/{other['id']}/answer",
                json={"outcome": "rejected", "answer": "West has no rows"},
            )
        )
        assert no["outcome"] == "rejected" and no["corrected_version"] is None
        listed = ok(provider.get("/v1/objections", params={"dataset": "ov_fix"}))
        assert {o["id"] for o in listed} == {objection, other["id"]}
    with world.client("user2") as user2:
        assert ok(user2.get("/v1/objections")) == []


def test_objection_kinds_and_what_corrects_each(world: World) -> None:
    with world.client("user") as user:
        made = {
            kind: ok(
                user.post(
                    "/v1/objections",
                    json={"dataset": "ov_fix", "kind": kind, "description": f"a {kind} case"},
                ),
                201,
            )
            for kind in ("quality", "open_attribute", "illegality")
        }
    assert {kind: m["kind"] for kind, m in made.items()} == {k: k for k in made}
    with world.client("provider") as provider:
        # A data correction must name its version; the open attribute its change request.
        refused(
            provider.post(
                f"/v1/objections/{made['quality']['id']}/answer",
                json={"outcome": "corrected", "answer": "refreshed"},
            ),
            422,
            "names the new version",
        )
        refused(
            provider.post(
                f"/v1/objections/{made['open_attribute']['id']}/answer",
                json={"outcome": "corrected", "answer": "x", "version": 2},
            ),
            422,
            "attribute change",
        )
        refused(
            provider.post(
                f"/v1/objections/{made['open_attribute']['id']}/answer",
                json={"outcome": "corrected", "answer": "x"},
            ),
            422,
            "attribute_change",
        )
        change = ok(
            provider.post(
                "/v1/datasets/ov_fix/attribute-changes",
                json={"to_attribute": "conditional", "legal_basis": "holds personal data"},
            ),
            201,
        )
        refused(
            provider.post(
                f"/v1/objections/{made['quality']['id']}/answer",
                json={"outcome": "corrected", "answer": "x", "attribute_change": change["id"]},
            ),
            422,
            "new version",
        )
        done = ok(
            provider.post(
                f"/v1/objections/{made['open_attribute']['id']}/answer",
                json={
                    "outcome": "corrected",
                    "answer": "asked the authority to open it",
                    "attribute_change": change["id"],
                },
            )
        )
        assert done["status"] == "answered" and done["outcome"] == "corrected"
        added = ok(
            provider.post(
                "/v1/datasets/ov_fix/versions",
                json={"source": {"upload_id": staged(provider, 30, 1)}, "note": "names removed"},
            ),
            201,
        )
        newest = max(v["version"] for v in added["versions"])
        fixed = ok(
            provider.post(
                f"/v1/objections/{made['illegality']['id']}/answer",
                json={"outcome": "corrected", "answer": "the names removed", "version": newest},
            )
        )
        assert fixed["corrected_version"] == newest
    with world.client("auditor") as auditor:
        answers = ok(auditor.get("/v1/audit", params={"action": "objection.answer"}))["data"]
    assert any(e["detail"].get("attribute_change") == change["id"] for e in answers)


# ---- reports and enforcement ---------------------------------------------------------------


def test_reports_are_due_at_the_grant_interval_and_enforcement_follows(
    world: World, platform: Platform
) -> None:
    second = grant(world, "user2")
    app_id = second["application_id"]
    with world.client("provider") as provider:  # a decided application: the body is checked
        for interval in (0, 367, "weekly"):
            refused(
                provider.post(
                    f"/v1/applications/{app_id}/decision",
                    json={
                        "outcome": "approve",
                        "grant_budget": 1,
                        "report_interval_days": interval,
                    },
                ),
                422,
                "report_interval_days",
            )
    pending = grant(world, "user2", accept=False, report_interval_days=7)
    held = grant(world, "user2", report_interval_days=7)
    assert held["report_interval_days"] == 7 and second["report_interval_days"] == 90
    usage = {
        "grant_id": held["id"],
        "kind": "usage",
        "use": "regional study",
        "results": "two tables",
        "benefits": "better bus routes",
    }
    with world.client("user2") as user2:
        refused(
            user2.post("/v1/usage-reports", json={**usage, "benefits": " "}),
            422,
            "missing: benefits",
        )
        refused(user2.post("/v1/usage-reports", json={**usage, "risks": "none"}), 422, "risks")
        refused(user2.post("/v1/usage-reports", json={**usage, "kind": "mood"}), 422, "kind")
        refused(
            user2.post("/v1/usage-reports", json={**usage, "grant_id": pending["id"]}),
            409,
            "pending_acceptance",
        )
        due = ok(user2.get("/v1/usage-reports/due"))
        mine = {(d["grant_ref"], d["kind"]): d for d in due["data"]}
        assert (pending["ref"], "usage") not in mine
        first_due = mine[(held["ref"], "usage")]
        assert first_due["missing"] is False and first_due["interval_days"] == 7
        assert date.fromisoformat(first_due["due_on"]) == today() + timedelta(days=7)
    with world.client("user") as user:
        refused(user.post("/v1/usage-reports", json=usage), 404)
    with world.client("provider") as provider:
        refused(provider.post("/v1/usage-reports", json=usage), 403)
    holder = Actor(user_id=world.ids["user2"], username="user2", role=Role.USER)
    with platform.sessions() as session:
        later = datetime.now(UTC) + timedelta(days=9)
        late = reports.reports_due(session, holder, CALENDAR, missing_only=True, now=later)
        assert {(d.grant_ref, str(d.kind)) for d in late} == {
            (held["ref"], "usage"),
            (held["ref"], "risk"),
        }
        assert all(d.days_overdue in (1, 2) for d in late)
    with world.client("user2") as user2:
        filed = ok(user2.post("/v1/usage-reports", json=usage), 201)
        ok(
            user2.post(
                "/v1/usage-reports",
                json={
                    "grant_id": held["id"],
                    "kind": "risk",
                    "data_used": "30 rows of ov_cond",
                    "processing": "DP means",
                    "risks": "none met",
                    "measures": "two-person rule",
                },
            ),
            201,
        )
        assert len(ok(user2.get("/v1/usage-reports", params={"grant_id": held["id"]}))) == 2
    with world.client("provider") as provider:
        assert ok(provider.get(f"/v1/usage-reports/{filed['id']}"))["content"]["use"] == (
            "regional study"
        )
    with world.client("other_provider") as other:
        refused(other.get(f"/v1/usage-reports/{filed['id']}"), 404)
    with platform.sessions() as session:  # the next ones are due a week after these
        soon = datetime.now(UTC) + timedelta(days=5)
        assert reports.reports_due(session, holder, CALENDAR, missing_only=True, now=soon) == []

    # Enforcement: rectification suspends every active grant, termination revokes them.
    body = {"user_id": world.ids["user2"], "reason": "risk report missing"}
    with world.client("other_provider") as other:
        refused(other.post("/v1/enforcement/rectification", json=body), 404)
    with world.client("user") as user:
        refused(user.post("/v1/enforcement/rectification", json=body), 403)
    with world.client("provider") as provider:
        refused(provider.post("/v1/enforcement/termination", json=body), 409, "rectify first")
        done = ok(provider.post("/v1/enforcement/rectification", json=body))
        assert {g["ref"] for g in done["grants"]} == {held["ref"], second["ref"]}
        assert all(
            g["status"] == "suspended"
            and g["status_reason"] == "pending rectification: risk report missing"
            for g in done["grants"]
        )
        refused(provider.post("/v1/enforcement/rectification", json=body), 409, "no active")
    with platform.sessions() as session:
        with pytest.raises(NoActiveGrant, match="pending rectification"):
            grant_service.active_grant_for(session, world.ids["user2"], "ov_cond", "dp")
    with world.client("provider") as provider:
        ok(provider.post(f"/v1/grants/{second['id']}/resume", json={}))  # this one rectified
        ended = ok(
            provider.post("/v1/enforcement/termination", json={**body, "reason": "did not rectify"})
        )
    assert [(g["ref"], g["status"]) for g in ended["grants"]] == [(held["ref"], "revoked")]
    with world.client("user2") as user2:
        assert ok(user2.get(f"/v1/grants/{second['id']}"))["status"] == "active"


# ---- data products -------------------------------------------------------------------------


def test_data_products_carry_their_sources_and_dates(world: World) -> None:
    held = grant(world, datasets=("ov_cond",))
    product = {
        "title": "Income by district",
        "description": "DP means",
        "sources": [{"dataset": "ov_fix", "version": 1}, {"dataset": "ov_cond"}],
        "grant_id": held["id"],
        "payload": {"North": 41000.5, "South": 39000.0},
    }
    with world.client("user") as user:
        refused(
            user.post("/v1/data-products", json={**product, "grant_id": None}), 403, "conditional"
        )
        refused(
            user.post("/v1/data-products", json={**product, "sources": [{"dataset": "ov_closed"}]}),
            422,
            "not open",
        )
        refused(
            user.post("/v1/data-products", json={**product, "sources": [{"dataset": "ov_end"}]}),
            403,
            "withdrawn",
        )
        refused(
            user.post(
                "/v1/data-products",
                json={**product, "sources": [{"dataset": "ov_fix", "version": 9}]},
            ),
            404,
            "version 9",
        )
        refused(
            user.post("/v1/data-products", json={**product, "payload": "x" * 70_000}),
            422,
            "at most",
        )
        refused(user.post("/v1/data-products", json={**product, "sources": []}), 422)
    with world.client("user2") as user2:
        refused(user2.post("/v1/data-products", json=product), 404, "no grant")
    with world.client("provider") as provider:
        refused(provider.post("/v1/data-products", json=product), 403)
    with world.client("user") as user:
        made = ok(user.post("/v1/data-products", json=product), 201)
    assert made["grant_ref"] == held["ref"] and made["payload"]["North"] == 41000.5
    sources = {s["dataset"]: s for s in made["sources"]}
    assert sources["ov_fix"]["version"] == 1 and sources["ov_cond"]["version"] == 1
    assert datetime.fromisoformat(sources["ov_cond"]["version_created_at"]).date() <= today()
    with world.client("reviewer") as reviewer:
        listed = ok(reviewer.get("/v1/data-products", params={"dataset": "ov_cond"}))
        assert [p["id"] for p in listed] == [made["id"]] and listed[0]["payload"] is None
        assert ok(reviewer.get(f"/v1/data-products/{made['id']}"))["payload"] == (made["payload"])
        refused(reviewer.get("/v1/data-products/99999"), 404)
    with world.client("auditor") as auditor:
        traced = ok(auditor.get("/v1/datasets/ov_cond/trace"))
    assert [p["id"] for p in traced["data_products"]] == [made["id"]]
    assert held["ref"] in [g["ref"] for g in traced["grants"]]


# ---- statistics, the client and the CLI ----------------------------------------------------


def test_stats_report_the_platforms_figures(world: World) -> None:
    with world.client("auditor") as auditor:
        stats = ok(auditor.get("/v1/stats"))
        catalog = ok(auditor.get("/v1/datasets"))["data"]
        applications = ok(auditor.get("/v1/applications"))
        complaints = ok(auditor.get("/v1/complaints"))
        objections = ok(auditor.get("/v1/objections"))
    by_attribute: dict[str, int] = {"unconditional": 0, "conditional": 0, "closed": 0}
    for entry in catalog:
        by_attribute[entry["open_attribute"]] += 1
    assert stats["datasets_by_attribute"] == by_attribute
    assert stats["datasets_withdrawn"] == 1  # ov_end
    by_status: dict[str, int] = dict.fromkeys(stats["applications_by_status"], 0)
    for app in applications:
        by_status[app["status"]] += 1
    assert stats["applications_by_status"] == by_status
    assert stats["complaints"] == {
        "open": sum(c["status"] == "open" for c in complaints),
        "overdue": 0,
        "answered": sum(c["status"] == "answered" for c in complaints),
    }
    assert stats["objections"]["answered"] == sum(o["status"] == "answered" for o in objections)
    figures = {(d["subject"], d["stage"]): d for d in stats["deadlines"]}
    form = figures[("application", "form_review")]
    assert form["working_days_allowed"] == 5 and form["closed"] == len(applications)
    assert form["met"] == form["closed"] and form["missed"] == 0
    assert form["median_working_days"] == 0 and form["worst_working_days"] == 0
    answers = figures[("complaint", "answer")]
    assert answers["working_days_allowed"] == 10
    assert answers["closed"] == stats["complaints"]["answered"]
    budgets = {b["dataset"]: b for b in stats["budgets"]}
    assert budgets["ov_leak"]["spent_loss"] == "0.25" and budgets["ov_leak"]["charges"] == 1
    assert budgets["ov_cond"]["grant_accounts"] >= 1
    assert stats["data_products"] >= 1
    with world.client("user") as user:
        mine = ok(user.get("/v1/stats"))
    assert mine["budgets"] == [] and mine["datasets_by_attribute"] == by_attribute
    with world.client("other_provider") as other:
        assert [b["dataset"] for b in ok(other.get("/v1/stats"))["budgets"]] in ([], ["ov_other"])


def test_the_client_and_the_cli_file_and_answer(world: World, tmp_path: Path) -> None:
    with world.api("user") as user, world.api("provider") as provider:
        made = user.file_complaint("ov_fix", "privacy", "client complaint")
        user.add_complaint_evidence(made["id"], b"client proof", "proof.txt")
        evidence = user.get_complaint(made["id"])["evidence"][0]
        assert provider.complaint_evidence(made["id"], evidence["id"]) == b"client proof"
        provider.suspend_dataset("ov_fix", "checking", made["id"])
        with pytest.raises(SandboxAPIError) as refusal:
            user.preview("ov_fix")
        assert refusal.value.status == 403 and refusal.value.code == "access_refused"
        done = provider.answer_complaint(made["id"], "restore", "nothing found")
        assert done["outcome"] == "restored" and not done["dataset_suspended"]
        assert user.preview("ov_fix")["synthetic"] is False
        assert provider.trace_dataset("ov_fix")["dataset"] == "ov_fix"
        objection = user.file_objection("ov_fix", "omission", "client objection")
        assert (
            provider.answer_objection(objection["id"], "rejected", "complete")["outcome"]
            == "rejected"
        )
        assert user.stats()["data_products"] >= 0

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

    proof = tmp_path / "proof.txt"
    proof.write_text("cli proof")
    complaint = cli(
        "user",
        "complaints",
        "file",
        "ov_fix",
        "--kind",
        "trade_secret",
        "--description",
        "cli complaint",
        "--evidence",
        str(proof),
    ).stdout.strip()
    cli(
        "provider",
        "suspensions",
        "suspend",
        "ov_fix",
        "--reason",
        "cli check",
        "--complaint",
        complaint,
    )
    shown = cli("provider", "complaints", "show", complaint).stdout
    assert "cli complaint" in shown and "proof.txt" in shown
    cli(
        "provider", "complaints", "answer", complaint, "--outcome", "restore", "--answer", "settled"
    )
    assert "restored" in cli("provider", "suspensions", "history", "ov_fix").stdout
    assert (
        '"kind": "download"' in cli("auditor", "suspensions", "trace", "ov_leak", "--json").stdout
    )
    assert "response times" in cli("auditor", "stats").stdout
