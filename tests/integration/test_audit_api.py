"""The audit trail over HTTP when the database was written behind the platform's back.

A row appended past the head used to make ``GET /v1/audit/verify`` answer 500 and every
audited write fail until the head was repaired by hand.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from sandbox.audit.chain import entry_hash
from tests.support.server import Accounts, LiveServer

pytestmark = pytest.mark.server

COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "role",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


def test_verify_reports_a_log_past_its_head_and_writes_go_on(
    live_server: LiveServer, accounts: Accounts
) -> None:
    with live_server.client(accounts["auditor"].token) as auditor:
        assert auditor.get("/v1/audit/verify").json()["ok"] is True
    with sqlite3.connect(live_server.var_dir / "sandbox.db") as db:
        db.row_factory = sqlite3.Row
        last = dict(db.execute("SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone())
        forged = {k: last[k] for k in COLUMNS if k != "hash"}
        forged.update(seq=last["seq"] + 1, prev_hash=last["hash"], detail='{"forged":true}')
        forged["hash"] = entry_hash(**forged)
        db.execute(
            f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in COLUMNS)})",
            [forged[k] for k in COLUMNS],
        )
    with live_server.client(accounts["auditor"].token) as auditor:
        first = auditor.get("/v1/audit/verify")
        assert first.status_code == 200, first.text
        report = first.json()
        assert report["ok"] is False  # the head names the entry before the forged one
        assert "the head names entry" in report["problems"][0]["problem"]
        again = auditor.get("/v1/audit/verify")  # the verification itself was audited
        assert again.status_code == 200
        assert [p["seq"] for p in again.json()["problems"]] == [forged["seq"]]
        page = auditor.get("/v1/audit", params={"after_seq": forged["seq"]})
        assert page.status_code == 200 and page.json()["count"] >= 2
    with live_server.client(accounts["admin"].token) as admin:
        made = admin.post("/v1/organisations", json={"name": "After Tamper", "kind": "other"})
        assert made.status_code == 201, made.text


def test_checkpoints_are_exported_to_auditors(live_server: LiveServer, accounts: Accounts) -> None:
    with live_server.client(accounts["auditor"].token) as auditor:
        response = auditor.get("/v1/audit/checkpoints")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    header, *points = [json.loads(line) for line in response.text.splitlines()]
    assert header["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in header["public_key"]
    assert points and all(set(p) == {"v", "at", "key", "entries", "sig"} for p in points)
