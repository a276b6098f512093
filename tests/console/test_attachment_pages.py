"""An application's proof attachments in a real Chromium against the live server.

The applicant attaches proof on its application page (a file of another kind is refused
with the API's message, nothing attached; no file chosen is refused before anything is
sent), sees the files listed and downloads one. The authority sees them on its review page
and the provider on its decision page, each downloading through the API's audited route;
another organisation's provider is refused them. Once decided, the application takes no
more proof. The pages pass axe at laptop and phone widths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

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
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, make_eligible, today, world_of

PASSWORD = "attachment-pages-2026"
DATASET = "at_health"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
STATEMENT = b"Ethics approval 2026-114, signed.\n"


@dataclass
class Setting:
    world: World
    url: str
    application: int


@pytest.fixture(scope="module")
def setting(live_server: LiveServer, accounts: Accounts) -> Setting:
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table()), metadata(DATASET)), 201)
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user", "authority"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    body = {
        "title": "Clinic waiting times",
        "reason": "planning",
        "type": "dataset",
        "datasets": [DATASET],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=60)).isoformat(),
        "results_form": "tables",
        "scenario": "planning",
        "security_measures": "the sandbox",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        application = int(ok(user.post("/v1/applications", json=body), 201)["id"])
    return Setting(world, live_server.url, application)


def _visit(browser: Browser, setting: Setting, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, setting.url, who, PASSWORD, width)


@pytest.fixture
def applicant(chromium: Browser, setting: Setting) -> Iterator[Page]:
    visit = _visit(chromium, setting, "user")
    yield visit.page
    visit.context.close()


def _listed(setting: Setting) -> list[str]:
    with setting.world.client("user") as user:
        found = ok(user.get(f"/v1/applications/{setting.application}/attachments"))
    return [a["filename"] for a in found]


def test_the_applicant_attaches_proof_after_a_refused_file(
    applicant: Page, setting: Setting, tmp_path: Path
) -> None:
    page = applicant
    page.goto(f"/console/applications/{setting.application}?lang=en")
    expect(page.locator("#attachments-none")).to_have_text("No proof attached.")
    expect(page.locator("#attach-hint")).to_contain_text("at most 5 MiB; at most 10")
    page.click("#attach-form button[type=submit]")
    expect(page.locator("#attach-status")).to_have_text("Choose a file first.")
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00binary")
    page.set_input_files("#attach-file", str(tool))
    page.click("#attach-form button[type=submit]")
    status = page.locator("#attach-status")
    expect(status).to_contain_text("The file was refused: an attachment must be a PDF")
    expect(page.locator("#attach-file")).to_have_attribute("aria-invalid", "true")
    assert _listed(setting) == []
    licence = tmp_path / "licence.png"
    licence.write_bytes(PNG)
    page.set_input_files("#attach-file", str(licence))
    with page.expect_navigation():
        page.click("#attach-form button[type=submit]")
    statement = tmp_path / "statement.txt"
    statement.write_bytes(STATEMENT)
    page.set_input_files("#attach-file", str(statement))
    with page.expect_navigation():
        page.click("#attach-form button[type=submit]")
    rows = page.locator("#attachment-list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("licence.png")
    expect(rows.nth(0)).to_contain_text("image/png")
    expect(rows.nth(1)).to_contain_text("text/plain")
    expect(rows.nth(1)).to_contain_text(f"{len(STATEMENT)} bytes")
    assert _listed(setting) == ["licence.png", "statement.txt"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download statement.txt").click()
    assert Path(download.value.path()).read_bytes() == STATEMENT


def _download_links(page: Page, scope: str) -> dict[str, str]:
    links = page.locator(f"{scope} a[download]")
    return {
        links.nth(i).inner_text(): str(links.nth(i).get_attribute("href"))
        for i in range(links.count())
    }


def _audited_reads(setting: Setting, who: str) -> int:
    with setting.world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": "application.attachment.read", "limit": 1000}
        entries = ok(auditor.get("/v1/audit", params=params))["data"]
    return sum(1 for e in entries if e["actor"] == who)


def test_the_authority_and_the_provider_see_and_download_them(
    chromium: Browser, setting: Setting
) -> None:
    visit = _visit(chromium, setting, "authority")
    try:
        page = visit.page
        page.goto("/console/authority/reviews?lang=en")
        links = _download_links(page, f"#application-{setting.application}")
        assert set(links) == {"licence.png", "statement.txt"}
        before = _audited_reads(setting, "authority")
        answer = page.request.get(links["licence.png"])
        assert answer.status == 200 and answer.body() == PNG
        assert _audited_reads(setting, "authority") == before + 1
    finally:
        visit.context.close()
    with setting.world.client("authority") as authority:
        path = f"/v1/applications/{setting.application}/form-review"
        ok(authority.post(path, json={"outcome": "pass"}))
    visit = _visit(chromium, setting, "provider")
    try:
        page = visit.page
        page.goto(f"/console/provider/applications/{setting.application}?lang=en")
        expect(page.locator("#attachment-list tbody tr")).to_have_count(2)
        expect(page.locator("#attach-form")).to_have_count(0)  # only the applicant attaches
        links = _download_links(page, "#attachment-list")
        answer = page.request.get(links["statement.txt"])
        assert answer.status == 200 and answer.body() == STATEMENT
        assert answer.headers["content-disposition"] == 'attachment; filename="statement.txt"'
    finally:
        visit.context.close()


def test_another_organisations_provider_is_refused_them(
    chromium: Browser, setting: Setting
) -> None:
    visit = _visit(chromium, setting, "other_provider")
    try:
        page = visit.page
        answer = page.goto(f"/console/provider/applications/{setting.application}")
        assert answer is not None and answer.status == 404
        listed = page.request.get(f"/v1/applications/{setting.application}/attachments")
        assert listed.status == 404
        read = page.request.get(f"/v1/applications/{setting.application}/attachments/1")
        assert read.status == 404
    finally:
        visit.context.close()


PAGES = (
    ("user", "attachments-applicant", "/console/applications/{application}"),
    ("provider", "attachments-provider", "/console/provider/applications/{application}"),
)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_at_both_widths(chromium: Browser, setting: Setting, width: str) -> None:
    problems = {}
    for who, name, path in PAGES:
        visit = _visit(chromium, setting, who, width)
        try:
            for lang in ("zh", "en"):
                answer = visit.page.goto(
                    path.format(application=setting.application) + f"?lang={lang}",
                    wait_until="networkidle",
                )
                assert answer is not None and answer.status == 200, (name, answer)
                assert "attachments." not in visit.page.locator("main").inner_text()
                expect(visit.page.locator("#attachment-list tbody tr")).to_have_count(2)
                if lang == "zh":
                    screenshot(visit.page, name, width)
                    if violations := axe_violations(visit.page):
                        problems[name] = violations
                assert horizontal_overflow(visit.page) <= 1, (name, lang, width)
            assert visit.foreign_requests(setting.url) == []
        finally:
            visit.context.close()
    assert not problems, problems


def test_a_decided_application_takes_no_more_proof(applicant: Page, setting: Setting) -> None:
    with setting.world.client("provider") as provider:
        decision = {"outcome": "refuse", "reason": "out of scope", "legal_basis": "art. 17"}
        ok(provider.post(f"/v1/applications/{setting.application}/decision", json=decision))
    page = applicant
    page.goto(f"/console/applications/{setting.application}?lang=en")
    expect(page.locator("#attachment-list tbody tr")).to_have_count(2)
    expect(page.locator("#attach-form")).to_have_count(0)
    expect(page.locator("#attachments-closed")).to_contain_text("no longer under review")
