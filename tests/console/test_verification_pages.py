"""The verification service pages in a real Chromium against the live server.

The provider publishes a ``per_field`` service on its conditional dataset from the console
(refused first with a sensitive column as the key: nothing published), withdraws another
(refused without a reason), and is refused another organisation's dataset (403). The grant
holder finds the service on its list, verifies a few records in the form (match / no match,
the quota counted), is refused a wildcard (422, nothing counted), verifies a CSV file
through the streaming batch route (the answers as a table and a download, the quota
updated) and is refused a bad file with the API's message (nothing answered). A call over
the grant's daily quota is refused (429, nothing answered); a user without a grant is
refused the service (403). No page ever shows a value of the dataset. The pages pass axe at
laptop and phone widths, with every label in both languages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pyarrow as pa
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    horizontal_overflow,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import metadata, parquet_bytes, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, add_users, grant, make_eligible, world_of

PASSWORD = "verification-pages-2026"
DATASET = "vp_licences"
QUOTA_DATASET = "vp_quota"
OTHER = "vp_transport"
MARKER = "ZZHIDDEN"
"""In every company name of the data: no page may ever show it."""
LEFT_KEY = re.compile(r"\b(verification|attachments)\.(?!(?:js|css)\b)[a-z_]+")
"""A message key shown untranslated."""

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


@dataclass
class Setting:
    world: World
    url: str
    to_withdraw: int
    quota_service: int
    other_service: int


def _publish(world: World, who: str, dataset: str, name: str) -> int:
    body = {"name": name, "fields": [{"name": "licence", "column": "licence_no"}]}
    with world.client(who) as client:
        made = ok(client.post(f"/v1/datasets/{dataset}/verification-services", json=body), 201)
    return int(made["id"])


@pytest.fixture(scope="module")
def setting(live_server: LiveServer, accounts: Accounts) -> Setting:
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        for name in (DATASET, QUOTA_DATASET):
            meta = metadata(name, dictionary=DICTIONARY, privacy_unit="licence_no")
            ok(register(provider, parquet_bytes(licences()), meta), 201)
        ok(
            provider.put(
                f"/v1/datasets/{QUOTA_DATASET}/policy",
                json={
                    "document": {"verification": {"per_grant_per_day": 3, "per_record_per_day": 2}}
                },
            )
        )
    with world.client("other_provider") as other:
        meta = metadata(OTHER, dictionary=DICTIONARY, privacy_unit="licence_no")
        ok(register(other, parquet_bytes(licences()), meta), 201)
    add_users(world, "vp_stranger")
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user", "vp_stranger"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    grant(world, "user", [DATASET, QUOTA_DATASET], title="Licence checks")
    return Setting(
        world,
        live_server.url,
        to_withdraw=_publish(world, "provider", DATASET, "old-register"),
        quota_service=_publish(world, "provider", QUOTA_DATASET, "quota-check"),
        other_service=_publish(world, "other_provider", OTHER, "transport-check"),
    )


def _visit(browser: Browser, setting: Setting, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, setting.url, who, PASSWORD, width)


@pytest.fixture
def provider(chromium: Browser, setting: Setting) -> Iterator[Page]:
    visit = _visit(chromium, setting, "provider")
    yield visit.page
    visit.context.close()


@pytest.fixture
def researcher(chromium: Browser, setting: Setting) -> Iterator[Page]:
    visit = _visit(chromium, setting, "user")
    yield visit.page
    visit.context.close()


def _services(setting: Setting, dataset: str) -> list[dict[str, Any]]:
    with setting.world.client("provider") as client:
        return list(ok(client.get(f"/v1/datasets/{dataset}/verification-services")))


def _service_id(setting: Setting, name: str) -> int:
    return next(int(s["id"]) for s in _services(setting, DATASET) if s["name"] == name)


def _quota(setting: Setting, service: int) -> dict[str, Any]:
    with setting.world.client("user") as client:
        return dict(ok(client.get(f"/v1/verification-services/{service}/quota")))


def _no_dataset_value(page: Page) -> None:
    assert MARKER not in page.content()
    for i in range(30):
        assert f"Company {i} " not in page.content()


def test_the_provider_publishes_a_service_after_a_refused_key(
    provider: Page, setting: Setting
) -> None:
    page = provider
    page.goto("/console/provider/verification?lang=en")
    row = page.locator(f"#dataset-{DATASET}")
    expect(row).to_contain_text("1 / 1")
    expect(page.locator(f"#dataset-{OTHER}")).to_have_count(0)  # another organisation's
    row.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text(f"Services of {DATASET}")
    # the sensitive column is not offered; a quasi-identifier as the key is refused
    expect(page.locator("#column-1 option[value=revenue]")).to_have_count(0)
    page.fill("#service-name", "licence-check")
    page.fill("#field-1", "company")
    page.select_option("#column-1", "company_name")
    page.click("#publish-form button[type=submit]")
    summary = page.locator("#publish-error")
    expect(summary).to_contain_text("is the key")
    expect(summary).to_be_focused()
    expect(page.locator("#field-1")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#service-name")).to_have_value("licence-check")  # kept as typed
    assert [s["name"] for s in _services(setting, DATASET)] == ["old-register"]
    # the key first, then the company name compared without letter case
    page.fill("#field-1", "licence")
    page.select_option("#column-1", "licence_no")
    page.fill("#min-length-1", "6")
    page.fill("#field-2", "company")
    page.select_option("#column-2", "company_name")
    page.select_option("#case-2", "insensitive")
    page.check("input[name=answer][value=per_field]")
    page.fill("#service-description", "Is this licence held by this company?")
    page.click("#publish-form button[type=submit]")
    expect(page.locator("#verification-done")).to_contain_text("The service is published.")
    made = next(s for s in _services(setting, DATASET) if s["name"] == "licence-check")
    assert made["answer"] == "per_field" and made["status"] == "published"
    assert [(f["name"], f["column"], f["case"], f["min_length"]) for f in made["fields"]] == [
        ("licence", "licence_no", "sensitive", 6),
        ("company", "company_name", "insensitive", 1),
    ]
    expect(page.locator(f"#service-{made['id']}")).to_contain_text("Per field")


def test_the_provider_withdraws_a_service_with_its_reason(provider: Page, setting: Setting) -> None:
    page = provider
    page.goto(f"/console/provider/verification/{DATASET}?lang=en")
    form = page.locator(f"#withdraw-{setting.to_withdraw}")
    form.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#withdraw-error")).to_contain_text("reason")
    assert _service_id(setting, "old-register") == setting.to_withdraw
    assert (
        next(s for s in _services(setting, DATASET) if s["id"] == setting.to_withdraw)["status"]
        == "published"
    )
    page.fill(f"#reason-{setting.to_withdraw}", "licences moved to a new register")
    page.locator(f"#withdraw-{setting.to_withdraw}").get_by_role("button").click()
    expect(page.locator("#verification-done")).to_contain_text("withdrawn")
    row = page.locator(f"#service-{setting.to_withdraw}")
    expect(row.locator(".service-status")).to_contain_text("licences moved to a new register")
    expect(page.locator(f"#withdraw-{setting.to_withdraw}")).to_have_count(0)


def test_another_organisations_dataset_is_refused(provider: Page, setting: Setting) -> None:
    answer = provider.goto(f"/console/provider/verification/{OTHER}?lang=en")
    assert answer is not None and answer.status == 403
    posted = provider.request.post(
        f"/console/provider/verification/services/{setting.other_service}/withdraw",
        form={"reason": "not mine", "csrf_token": _csrf(provider)},
    )
    assert posted.status == 403
    with setting.world.client("other_provider") as other:
        found = ok(other.get(f"/v1/verification-services/{setting.other_service}"))
    assert found["status"] == "published"


def _csrf(page: Page) -> str:
    page.goto(f"/console/provider/verification/{DATASET}")
    return str(page.locator("#publish-form input[name=csrf_token]").input_value())


def test_the_holder_verifies_records_and_is_refused_a_wildcard(
    researcher: Page, setting: Setting
) -> None:
    page = researcher
    service = _service_id(setting, "licence-check")
    page.goto("/console/verification?lang=en")
    expect(page.locator(f"#service-{service}")).to_contain_text("licence, company")
    expect(page.locator(f"#service-{setting.to_withdraw}")).to_have_count(0)  # withdrawn
    expect(page.locator(f"#service-{setting.other_service}")).to_have_count(0)  # no grant
    page.locator(f"#service-{service}").get_by_role("link").click()
    expect(page.locator("#quota-remaining")).to_have_text(
        str(_quota(setting, service)["remaining"])
    )
    used = int(_quota(setting, service)["used_today"])
    # a wildcard is refused, naming the field; nothing answered, nothing counted
    page.fill("#r1_licence", "QD-00*")
    page.fill("#r1_company", "company 1 zzhidden")
    page.click("#verify-form button[type=submit]")
    expect(page.locator("#verify-error")).to_contain_text("licence")
    expect(page.locator("#r1_licence")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#answers")).to_have_count(0)
    assert _quota(setting, service)["used_today"] == used
    # rows 1 and 3 filled (row 2 left blank): a match, and the right licence with a wrong name
    page.fill("#r1_licence", "QD-000001")
    page.fill("#r1_company", "COMPANY 1 zzhidden")
    page.fill("#r3_licence", "QD-000002")
    page.fill("#r3_company", "Company 7 ZZHIDDEN")
    page.click("#verify-form button[type=submit]")
    rows = page.locator("#answers tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td")).to_have_text(["Record 1", "Match", "Match", "Match"])
    expect(rows.nth(1).locator("td")).to_have_text(["Record 3", "No match", "Match", "No match"])
    expect(page.locator("#quota-used")).to_have_text(str(used + 2))
    assert _quota(setting, service)["used_today"] == used + 2
    expect(page.locator("#r1_licence")).to_have_value("")  # what was typed is not kept
    _no_dataset_value(page)


def test_the_holder_verifies_a_file_and_is_refused_a_bad_one(
    researcher: Page, setting: Setting, tmp_path: Any
) -> None:
    page = researcher
    service = _service_id(setting, "licence-check")
    page.goto(f"/console/verification/{service}?lang=en")
    used = int(_quota(setting, service)["used_today"])
    bad = tmp_path / "bad.csv"
    bad.write_text("licence,company\nQD-000003,Company 3 zzhidden\nQD-%,x\n")
    page.set_input_files("#batch-file", str(bad))
    page.click("#batch-form button[type=submit]")
    expect(page.locator("#batch-status")).to_contain_text("The file was refused: ")
    expect(page.locator("#batch-status")).to_contain_text("line 3")
    expect(page.locator("#batch-result")).to_be_hidden()
    assert _quota(setting, service)["used_today"] == used
    good = tmp_path / "records.csv"
    good.write_text(
        "licence,company\nQD-000003,company 3 zzhidden\nQD-000004,Nobody\nQD-999999,Nobody\n"
    )
    page.set_input_files("#batch-file", str(good))
    page.click("#batch-form button[type=submit]")
    expect(page.locator("#batch-result")).to_be_visible()
    rows = page.locator("#batch-answers tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("td")).to_have_text(["Record 1", "Match", "Match", "Match"])
    expect(rows.nth(1).locator("td")).to_have_text(["Record 2", "No match", "Match", "No match"])
    expect(rows.nth(2).locator("td")).to_have_text(["Record 3", "No match", "No match", "No match"])
    remaining = int(_quota(setting, service)["remaining"])
    expect(page.locator("#batch-status")).to_contain_text(f"3 records verified; {remaining} left")
    expect(page.locator("#quota-remaining")).to_have_text(str(remaining))
    expect(page.locator("#quota-used")).to_have_text(str(used + 3))
    with page.expect_download() as download:
        page.click("#batch-download")
    lines = [json.loads(line) for line in open(download.value.path()).read().splitlines()]
    assert [(a["record"], a["match"]) for a in lines] == [(0, True), (1, False), (2, False)]
    assert lines[1]["fields"] == {"licence": True, "company": False}
    _no_dataset_value(page)


def test_a_call_over_the_quota_is_refused_whole(researcher: Page, setting: Setting) -> None:
    page = researcher
    page.goto(f"/console/verification/{setting.quota_service}?lang=en")
    expect(page.locator("#quota-limit")).to_have_text("3")
    for row in range(1, 5):
        page.fill(f"#r{row}_licence", f"QD-00000{row}")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#verify-form button[type=submit]")
    assert answer.value.status == 429
    expect(page.locator("#verify-error")).to_contain_text("3")
    expect(page.locator("#answers")).to_have_count(0)
    assert _quota(setting, setting.quota_service)["used_today"] == 0


def test_a_user_without_a_grant_is_refused(chromium: Browser, setting: Setting) -> None:
    visit = _visit(chromium, setting, "vp_stranger")
    try:
        page = visit.page
        page.goto("/console/verification?lang=en")
        expect(page.locator("#no-services")).to_be_visible()
        answer = page.goto(f"/console/verification/{setting.quota_service}?lang=en")
        assert answer is not None and answer.status == 403
        expect(page.locator("#verification-refused")).to_contain_text("apply for it first")
        expect(page.locator("#verify-form")).to_have_count(0)
    finally:
        visit.context.close()


def test_a_provider_is_refused_the_holders_pages(provider: Page, setting: Setting) -> None:
    answer = provider.goto(f"/console/verification/{setting.quota_service}")
    assert answer is not None and answer.status == 403


PAGES = (
    ("provider", "verification-provider", "/console/provider/verification"),
    ("provider", "verification-provider-dataset", f"/console/provider/verification/{DATASET}"),
    ("user", "verification-list", "/console/verification"),
    ("user", "verification-service", "/console/verification/{service}"),
)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_at_both_widths(chromium: Browser, setting: Setting, width: str) -> None:
    service = _service_id(setting, "licence-check")
    problems = {}
    for who in ("provider", "user"):
        visit = _visit(chromium, setting, who, width)
        try:
            for owner, name, path in PAGES:
                if owner != who:
                    continue
                for lang in ("zh", "en"):
                    answer = visit.page.goto(
                        path.format(service=service) + f"?lang={lang}", wait_until="networkidle"
                    )
                    assert answer is not None and answer.status == 200, (name, answer)
                    assert not LEFT_KEY.search(visit.page.locator("main").inner_text())
                    if lang == "zh":
                        screenshot(visit.page, name, width)
                        if violations := axe_violations(visit.page):
                            problems[name] = violations
                    assert horizontal_overflow(visit.page) <= 1, (name, lang, width)
            assert visit.foreign_requests(setting.url) == []
        finally:
            visit.context.close()
    assert not problems, problems


def test_every_label_is_in_both_languages(setting: Setting) -> None:
    with httpx.Client(base_url=setting.url, timeout=60) as client:
        ok(client.post("/v1/sessions", json={"username": "user", "password": PASSWORD}), 201)
        for lang, sample in (("zh", "今日额度"), ("en", "Remaining today")):
            text = client.get(f"/console/verification/{setting.quota_service}?lang={lang}").text
            assert sample in text and not LEFT_KEY.search(text), lang
