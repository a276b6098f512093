"""Verification services over the real HTTP server (Qingdao art. 13: data service
interfaces "for query or verification"): a provider publishes a service on its conditional
dataset; a grant holder verifies records one call or one streamed file at a time and gets
match answers only; wildcard and partial inputs are refused naming the field, with no quota
used; the quotas per grant and per record refuse a call whole (429, nothing answered);
non-holders, withdrawn services and suspended datasets are refused; every call is audited
with counts only and counted in the statistics; the client and the CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.support.datafiles import metadata, parquet_bytes, register
from tests.support.http import ok, refused
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, add_users, grant, make_eligible, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
MARKER = "ZZHIDDEN"
"""Planted in every company name of the data: it must never appear in any response."""

DICTIONARY: list[dict[str, Any]] = [
    {"name": "licence_no", "type": "string", "classification": "identifier"},
    {"name": "company_name", "type": "string", "classification": "quasi_identifier"},
    {"name": "district", "type": "string", "classification": "public"},
    {"name": "revenue", "type": "float64", "classification": "sensitive"},
]


def licences(rows: int = 30) -> pa.Table:
    return pa.table(
        {
            "licence_no": [f"QD-{i:06d}" for i in range(rows)],
            "company_name": [f"Company {i} {MARKER}" for i in range(rows)],
            "district": [("Shinan", "Laoshan", "Licang")[i % 3] for i in range(rows)],
            "revenue": [1000.0 * i for i in range(rows)],
        }
    )


def company(i: int) -> str:
    return f"Company {i} {MARKER}"


LICENCE_FIELDS: list[dict[str, Any]] = [
    {"name": "licence", "column": "licence_no", "min_length": 6},
    {"name": "company", "column": "company_name", "case": "insensitive"},
]


@pytest.fixture(scope="module")
def world(live_server: LiveServer, accounts: Accounts) -> World:
    made = world_of(live_server, accounts)
    with made.client("provider") as provider:
        for name in ("vf_lic", "vf_quota", "vf_susp"):
            meta = metadata(name, dictionary=DICTIONARY, privacy_unit="licence_no")
            ok(register(provider, parquet_bytes(licences()), meta), 201)
        meta = metadata(
            "vf_open", "unconditional", dictionary=DICTIONARY, privacy_unit="licence_no"
        )
        ok(register(provider, parquet_bytes(licences()), meta), 201)
        ok(
            provider.put(
                "/v1/datasets/vf_quota/policy",
                json={
                    "document": {"verification": {"per_grant_per_day": 6, "per_record_per_day": 2}}
                },
            )
        )
    add_users(made, "vf_other")
    make_eligible(made, "user", "vf_other")
    made.grants["user"] = grant(made, "user", ["vf_lic", "vf_quota", "vf_susp"])["ref"]
    return made


def _publish(world: World, dataset: str, name: str, answer: str = "match") -> dict[str, Any]:
    with world.client("provider") as provider:
        body = {"name": name, "fields": LICENCE_FIELDS, "answer": answer, "description": "d"}
        return dict(
            ok(provider.post(f"/v1/datasets/{dataset}/verification-services", json=body), 201)
        )


def _verify(world: World, who: str, service: int, records: list[dict[str, Any]]) -> Any:
    with world.client(who) as client:
        return client.post(f"/v1/verification-services/{service}/verify", json={"records": records})


def _quota(world: World, service: int) -> dict[str, Any]:
    with world.client("user") as user:
        return dict(ok(user.get(f"/v1/verification-services/{service}/quota")))


def _audited(world: World, action: str) -> list[dict[str, Any]]:
    with world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": action, "limit": 1000}
        rows = ok(auditor.get("/v1/audit", params=params))["data"]
    return [e for e in rows if e["action"] == action]


def test_a_provider_publishes_on_its_conditional_dataset_only(world: World) -> None:
    made = _publish(world, "vf_lic", "licence-check")
    assert made["fields"][0] == {
        "name": "licence",
        "column": "licence_no",
        "case": "sensitive",
        "min_length": 6,
        "refuse_underscore": False,
    }
    assert (made["answer"], made["status"], made["created_by"]) == (
        "match",
        "published",
        "provider",
    )
    with world.client("user") as user:
        listed = ok(user.get("/v1/datasets/vf_lic/verification-services"))
        assert [s["name"] for s in listed] == ["licence-check"]
        assert ok(user.get(f"/v1/verification-services/{made['id']}"))["dataset"] == "vf_lic"
        refused(user.get("/v1/verification-services/999999"), 404)
    body = {"name": "x", "fields": LICENCE_FIELDS}
    for who in ("other_provider", "user"):
        with world.client(who) as client:
            refused(client.post("/v1/datasets/vf_lic/verification-services", json=body), 403)
    with world.client("provider") as provider:
        post = provider.post
        path = "/v1/datasets/vf_lic/verification-services"
        refused(post("/v1/datasets/vf_open/verification-services", json=body), 422, "conditional")
        sensitive = [LICENCE_FIELDS[0], {"name": "revenue", "column": "revenue"}]
        refused(post(path, json={"name": "x", "fields": sensitive}), 422, "sensitive")
        keyless = [LICENCE_FIELDS[1], LICENCE_FIELDS[0]]
        refused(post(path, json={"name": "x", "fields": keyless}), 422, "is the key")
        refused(post(path, json={"name": "licence-check", "fields": LICENCE_FIELDS}), 409)
        refused(post(path, json={"name": "x", "fields": LICENCE_FIELDS, "answer": "all"}), 422)
        listed = ok(provider.get("/v1/datasets/vf_lic/verification-services"))
    assert len(listed) == 1  # nothing refused was stored
    published = [
        e for e in _audited(world, "verification.published") if e["object_id"] == str(made["id"])
    ]
    assert published and published[0]["detail"]["columns"] == ["licence_no", "company_name"]


def test_match_and_per_field_answers_reveal_no_value(world: World) -> None:
    match = _publish(world, "vf_lic", "match-check")
    per_field = _publish(world, "vf_lic", "field-check", "per_field")
    records = [
        {"licence": "QD-000003", "company": company(3).upper()},  # case-insensitive field
        {"licence": "QD-000003", "company": company(4)},  # another row's company
        {"licence": "QD-999999", "company": company(5)},  # no such licence
        {"licence": " QD-000007 ", "company": f"  {company(7)} "},  # trimmed
    ]
    answered = _verify(world, "user", match["id"], records)
    done = ok(answered)
    assert [a["match"] for a in done["answers"]] == [True, False, False, True]
    assert all(a["fields"] is None for a in done["answers"])
    assert done["grant"] == world.grants["user"] and done["dataset"] == "vf_lic"
    assert done["quota"]["used_today"] == 4
    fields = ok(_verify(world, "user", per_field["id"], records))["answers"]
    assert [a["fields"] for a in fields] == [
        {"licence": True, "company": True},
        {"licence": True, "company": False},
        {"licence": False, "company": False},
        {"licence": True, "company": True},
    ]
    assert [a["match"] for a in fields] == [True, False, False, True]
    # the quota counts the dataset's records across its services
    assert ok(_verify(world, "user", match["id"], records[:1]))["quota"]["used_today"] == 9
    # nothing of the data comes back: no company name, no other licence, no revenue
    assert MARKER not in answered.text  # the submitted names are not echoed either
    shown = json.dumps(done["answers"]) + json.dumps(fields)
    assert MARKER not in shown and "QD-" not in shown and "Shinan" not in shown


def test_wildcards_and_partial_inputs_are_refused_naming_the_field_with_no_quota_used(
    world: World,
) -> None:
    service = _publish(world, "vf_lic", "strict-check")["id"]
    before = _quota(world, service)["used_today"]
    for bad, needle in (
        ("QD-00000*", "wildcard"),
        ("QD-%", "wildcard"),
        ("QD-00000?", "wildcard"),
        ("QD-1", "shorter than its minimum of 6"),
        ("   ", "is empty"),
    ):
        records = [
            {"licence": "QD-000001", "company": company(1)},
            {"licence": bad, "company": company(2)},
        ]
        message = refused(
            _verify(world, "user", service, records), 422, "record 1", "'licence'", needle
        )
        if bad.strip():
            assert bad.strip() not in message
    refused(
        _verify(world, "user", service, [{"licence": "QD-000001"}]), 422, "'company' is missing"
    )
    refused(
        _verify(world, "user", service, [{"licence": "QD-000001", "company": "x", "revenue": 1}]),
        422,
        "unknown fields 'revenue'",
    )
    refused(_verify(world, "user", service, []), 422)
    assert _quota(world, service)["used_today"] == before


def test_quotas_refuse_a_call_whole_with_nothing_answered(world: World) -> None:
    service = _publish(world, "vf_quota", "quota-check")["id"]
    assert _quota(world, service) | {"day": None} == {
        "day": None,
        "per_grant_per_day": 6,
        "per_record_per_day": 2,
        "used_today": 0,
        "remaining": 6,
    }
    first = [{"licence": f"QD-00000{i}", "company": company(i)} for i in range(4)]
    ok(_verify(world, "user", service, first))
    over = [{"licence": f"QD-00001{i}", "company": company(10 + i)} for i in range(3)]
    response = _verify(world, "user", service, over)
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "quota_exceeded" and body["limit"] == "verification.per_grant_per_day"
    assert "answers" not in body and int(response.headers["Retry-After"]) > 0
    assert _quota(world, service)["used_today"] == 4  # nothing counted
    # a batch over the quota is refused whole too, before any answer
    with world.client("user") as user:
        csv = "licence,company\n" + "".join(f"QD-00002{i},{company(20 + i)}\n" for i in range(3))
        batch = user.post(
            f"/v1/verification-services/{service}/batch",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        )
    assert batch.status_code == 429 and "at least 3" in batch.json()["message"]
    # the per-record quota: the same licence asked about more than twice today
    same = [{"licence": "QD-000001", "company": company(i)} for i in range(2)]
    refused_call = _verify(world, "user", service, same)
    assert refused_call.status_code == 429, refused_call.text
    assert refused_call.json()["limit"] == "verification.per_record_per_day"
    assert _quota(world, service)["used_today"] == 4
    ok(_verify(world, "user", service, same[:1]))  # a second question about it is allowed
    refusals = [
        e for e in _audited(world, "verification.refused") if e["object_id"] == str(service)
    ]
    assert {e["detail"]["limit"] for e in refusals} == {
        "verification.per_grant_per_day",
        "verification.per_record_per_day",
    }


def test_a_batch_streams_in_and_its_answers_stream_out(world: World) -> None:
    service = _publish(world, "vf_lic", "batch-check", "per_field")["id"]
    csv = f'licence,company\nQD-000010,{company(10)}\nQD-000011,"{company(12)}"\nQD-123456,Nobody\n'
    with world.client("user") as user:
        done = user.post(
            f"/v1/verification-services/{service}/batch",
            content=iter([csv[:20].encode(), csv[20:].encode()]),
            headers={"Content-Type": "text/csv"},
        )
        assert done.status_code == 200, done.text
        assert done.headers["content-type"].startswith("application/x-ndjson")
        assert done.headers["X-Verification-Records"] == "3"
        lines = [json.loads(line) for line in done.text.splitlines()]
        ndjson = "\n".join(
            json.dumps({"licence": f"QD-00002{i}", "company": company(20 + i)}) for i in range(2)
        )
        again = user.post(
            f"/v1/verification-services/{service}/batch",
            content=ndjson.encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        before = ok(user.get(f"/v1/verification-services/{service}/quota"))["used_today"]
        bad = user.post(
            f"/v1/verification-services/{service}/batch",
            content=b"licence,company\nQD-000001,x\nQD-0000*,y\n",
            headers={"Content-Type": "text/csv"},
        )
        refused(bad, 422, "line 3", "'licence'", "wildcard")
        refused(
            user.post(
                f"/v1/verification-services/{service}/batch",
                content=b"{}",
                headers={"Content-Type": "application/json"},
            ),
            422,
            "text/csv",
        )
        assert ok(user.get(f"/v1/verification-services/{service}/quota"))["used_today"] == before
    assert lines == [
        {"record": 0, "match": True, "fields": {"licence": True, "company": True}},
        {"record": 1, "match": False, "fields": {"licence": True, "company": False}},
        {"record": 2, "match": False, "fields": {"licence": False, "company": False}},
    ]
    assert MARKER not in done.text
    assert [json.loads(line)["match"] for line in again.text.splitlines()] == [True, True]
    batches = [e for e in _audited(world, "verification.called") if e["object_id"] == str(service)]
    assert sorted(e["detail"]["records"] for e in batches) == [2, 3]
    assert {e["detail"]["mode"] for e in batches} == {"batch"}


def test_only_holders_of_an_active_grant_verify(world: World) -> None:
    service = _publish(world, "vf_lic", "holders-check")["id"]
    record = [{"licence": "QD-000001", "company": company(1)}]
    refused(_verify(world, "vf_other", service, record), 403, "no grant")
    for who in ("provider", "authority", "auditor"):
        refused(_verify(world, who, service, record), 403)
    refused(_verify(world, "user", 999999, record), 404)
    with world.client("user") as user:
        wrong_grant = user.post(
            f"/v1/verification-services/{service}/verify",
            json={"records": record, "grant": "no-such-grant"},
        )
    refused(wrong_grant, 403, "no-such-grant")


def test_a_withdrawn_service_and_a_suspended_dataset_answer_no_more(world: World) -> None:
    service = _publish(world, "vf_lic", "soon-gone")["id"]
    record = [{"licence": "QD-000001", "company": company(1)}]
    ok(_verify(world, "user", service, record))
    with world.client("other_provider") as other:
        refused(
            other.post(f"/v1/verification-services/{service}/withdraw", json={"reason": "x"}), 403
        )
    with world.client("provider") as provider:
        path = f"/v1/verification-services/{service}/withdraw"
        refused(provider.post(path, json={"reason": ""}), 422)
        gone = ok(provider.post(path, json={"reason": "licences moved to a new register"}))
        assert gone["status"] == "withdrawn"
        refused(provider.post(path, json={"reason": "again"}), 409, "already withdrawn")
    refused(_verify(world, "user", service, record), 409, "withdrawn", "new register")
    suspended = _publish(world, "vf_susp", "susp-check")["id"]
    ok(_verify(world, "user", suspended, record))
    with world.client("provider") as provider:
        ok(provider.post("/v1/datasets/vf_susp/suspend", json={"reason": "complaint"}), 201)
    refused(_verify(world, "user", suspended, record), 403, "suspended")


def test_calls_are_audited_with_counts_only_and_counted_in_the_statistics(world: World) -> None:
    service = _publish(world, "vf_lic", "counted-check")["id"]
    secret_guess = "QD-000017"
    with world.client("provider") as provider:
        figures = ok(provider.get("/v1/stats"))["dataset_usage"]
    before = next(f for f in figures if f["dataset"] == "vf_lic")
    ok(_verify(world, "user", service, [{"licence": secret_guess, "company": "Guessed Name Ltd"}]))
    ok(_verify(world, "user", service, [{"licence": "QD-000018", "company": company(18)}] * 2))
    with world.client("provider") as provider:
        figures = ok(provider.get("/v1/stats"))["dataset_usage"]
    after = next(f for f in figures if f["dataset"] == "vf_lic")
    assert after["verification_calls"] == before["verification_calls"] + 2
    assert after["verified_records"] == before["verified_records"] + 3
    entries = [e for e in _audited(world, "verification.called") if e["object_id"] == str(service)]
    assert sorted(e["detail"]["records"] for e in entries) == [1, 2]
    assert entries[0]["detail"]["grant"] == world.grants["user"]
    with world.client("auditor") as auditor:
        trail = auditor.get("/v1/audit", params={"limit": 1000}).text
    for value in (secret_guess, "Guessed Name Ltd", "QD-000018", MARKER):
        assert value not in trail


def test_the_client_and_the_cli(world: World, tmp_path: Path) -> None:
    from sandbox.client import SandboxClient

    with SandboxClient(world.server.url, world.tokens["provider"]) as provider:
        made = provider.publish_verification_service(
            "vf_lic", "client-check", LICENCE_FIELDS, answer="per_field"
        )
        assert provider.verification_services("vf_lic", "published")[-1]["id"] == made["id"]
    records = tmp_path / "records.ndjson"
    records.write_text(
        "\n".join(json.dumps({"licence": f"QD-00000{i}", "company": company(i)}) for i in (1, 2))
        + "\n"
    )
    with SandboxClient(world.server.url, world.tokens["user"]) as user:
        answered = user.verify(made["id"], [{"licence": "QD-000001", "company": "nope"}])
        assert answered["answers"][0]["fields"] == {"licence": True, "company": False}
        streamed = list(user.verify_file(made["id"], records))
        assert [a["match"] for a in streamed] == [True, True]
        assert user.verification_quota(made["id"])["used_today"] >= 3

    def run(who: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args, "--url", world.server.url]
            + ["--token", world.tokens[who]],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )

    published = run(
        "provider",
        "verify",
        "publish",
        "vf_lic",
        "cli-check",
        "--field",
        "licence=licence_no,min_length=6",
        "--field",
        "company=company_name,case=insensitive",
    )
    assert published.returncode == 0, published.stderr
    cli_id = published.stdout.strip()
    shown = run("user", "verify", "services", "vf_lic")
    assert shown.returncode == 0 and "cli-check" in shown.stdout, shown.stderr
    checked = run(
        "user", "verify", "check", cli_id, "-v", "licence=QD-000005", "-v", f"company={company(5)}"
    )
    assert checked.returncode == 0 and "yes" in checked.stdout, checked.stderr
    out = tmp_path / "answers.ndjson"
    filed = run("user", "verify", "file", cli_id, str(records), "--output", str(out))
    assert filed.returncode == 0 and "2 records verified, 2 matched" in filed.stderr, filed.stderr
    assert len(out.read_text().splitlines()) == 2
    bad = run("user", "verify", "check", cli_id, "-v", "licence=QD-*", "-v", "company=x")
    assert bad.returncode != 0 and "wildcard" in (bad.stdout + bad.stderr)
    quota = run("user", "verify", "quota", cli_id)
    assert quota.returncode == 0 and "left" in quota.stdout, quota.stderr
    gone = run("provider", "verify", "withdraw", cli_id, "--reason", "done")
    assert gone.returncode == 0, gone.stderr
