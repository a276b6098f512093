"""The authority's catalog-governance pages in a real Chromium against the live server.

A provider registers two datasets and a new version that wait for the publication review
(one of them three weeks past its 2-working-day deadline), and proposes another grade
for a published dataset. The authority then works from the console: the queue lists the
waiting submissions with the overdue one first and marked; a first pass without a grade
is refused beside the form (nothing published) before it passes with one (a researcher
then finds the dataset); a return without its reason is refused before one with it (the
provider reads the reason); a grade proposal is approved as proposed; an annual quality
assessment is opened (a bad year refused first), answered by the provider over the API
and concluded with a rectification (refused without its note); the update reminders a
sweep sent are listed. An auditor reads the pages without their forms and is refused a
decision (403); a provider is refused the pages; a form without its CSRF token is
refused. The overdue page labels every new subject and stage, in both languages. The
pages pass axe at laptop and phone widths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from api.console.i18n import CATALOGUE
from api.console.text import Lang
from sandbox.access.model import StageKind, Subject
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow, WorkflowStageRow
from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    horizontal_overflow,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import add_version, metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, world_of

PASSWORD = "governance-pages-2026"
NEW = "gv_new"  # a new dataset, no grade proposed
LATE = "gv_late"  # a new dataset, its review three weeks overdue
PUBLISHED = "gv_pub"  # published, with a new version waiting
PROPOSED = "gv_prop"  # published general, the provider proposes important


@dataclass
class Governance:
    world: World
    server: LiveServer
    url: str
    assessment: int  # opened over the API, answered, and overdue for the overdue page


def _move_back(server: LiveServer, subject: str, subject_id: int, *, days: int) -> None:
    """Let an open stage be ``days`` days past its deadline, as if it had waited that long
    (the platform has no clock to turn)."""
    platform = server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            stage = session.execute(
                select(WorkflowStageRow).where(
                    WorkflowStageRow.subject_type == subject,
                    WorkflowStageRow.subject_id == subject_id,
                    WorkflowStageRow.closed_at.is_(None),
                )
            ).scalar_one()
            stage.due_on -= timedelta(days=days)
            stage.due_at -= timedelta(days=days)
    finally:
        platform.close()


def _version_id(server: LiveServer, name: str, version: int) -> int:
    platform = server.open_platform()
    try:
        with platform.sessions() as session:
            return int(
                session.execute(
                    select(DatasetVersionRow.id)
                    .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                    .where(DatasetRow.name == name, DatasetVersionRow.version == version)
                ).scalar_one()
            )
    finally:
        platform.close()


@pytest.fixture(scope="module")
def gov(live_server: LiveServer, accounts: Accounts) -> Governance:
    world = world_of(live_server, accounts)
    table = parquet_bytes(people_table())
    with world.client("provider") as provider:
        ok(register(provider, table, metadata(NEW), publish=False), 201)
        ok(register(provider, table, metadata(LATE, grade="important"), publish=False), 201)
        ok(register(provider, table, metadata(PUBLISHED)), 201)
        ok(register(provider, table, metadata(PROPOSED)), 201)
        ok(add_version(provider, PUBLISHED, table, note="March refresh", publish=False), 201)
        ok(provider.put(f"/v1/datasets/{PROPOSED}/grade", json={"grade": "important"}))
    with world.client("authority") as authority:
        opened = ok(
            authority.post(
                f"/v1/datasets/{PROPOSED}/quality-assessments",
                json={"request": "Check the age column"},
            ),
            201,
        )
        ok(authority.post("/v1/update-reminders/sweep", json={"lead_working_days": 60}))
        # a change of law six weeks ago: the catalog update's 15 working days have passed
        ok(
            authority.post(
                "/v1/law-changes",
                json={
                    "kind": "law_revision",
                    "citation": "Data Regulation art. 9 (revised)",
                    "changed_on": (date.today() - timedelta(days=42)).isoformat(),
                    "datasets": [PROPOSED],
                },
            ),
            201,
        )
    with httpx.Client(base_url=live_server.url, timeout=60) as visitor:
        report = ok(
            visitor.post(
                "/v1/public-reports",
                json={
                    "kind": "misuse",
                    "description": "Rows resold",
                    "dataset": PROPOSED,
                    "contact": "someone@example.org",
                },
            ),
            201,
        )
    _move_back(live_server, "public_report", int(report["id"]), days=21)
    _move_back(live_server, "dataset_version", _version_id(live_server, LATE, 1), days=21)
    _move_back(live_server, "quality_assessment", int(opened["id"]), days=21)
    with world.client("admin") as admin:
        for who in ("authority", "auditor", "provider", "user"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    return Governance(world, live_server, live_server.url, int(opened["id"]))


def _signed_in(browser: Browser, url: str, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, url, who, PASSWORD, width)


@pytest.fixture
def authority(chromium: Browser, gov: Governance) -> Iterator[Page]:
    visit = _signed_in(chromium, gov.url, "authority")
    yield visit.page
    visit.context.close()


def _api(gov: Governance, who: str, path: str) -> httpx.Response:
    with gov.world.client(who) as client:
        return client.get(path)


def test_every_subject_and_stage_has_a_label_in_both_languages() -> None:
    """The overdue page and the stage tables build keys from these enums: a member without
    its label would fail the page once such a stage is overdue."""
    keys = [f"authority.subject.{s}" for s in Subject]
    keys += [f"authority.stage.{k}" for k in StageKind]
    missing = [k for k in keys if k not in CATALOGUE]
    assert missing == []
    for key in keys:
        assert CATALOGUE[key].in_lang(Lang.ZH).strip() and CATALOGUE[key].in_lang(Lang.EN).strip()


PAGES = (
    ("governance-queue", "/console/authority/publication-reviews"),
    ("governance-review", f"/console/authority/publication-reviews/{PUBLISHED}/2"),
    ("governance-grades", "/console/authority/grade-proposals"),
    ("governance-quality", "/console/authority/quality-assessments"),
    ("governance-assessment", "/console/authority/quality-assessments/{assessment}"),
    ("governance-reminders", "/console/authority/update-reminders"),
    ("governance-overdue", "/console/authority/overdue"),
)


# These run first (pytest keeps the file's order), while every form is still open.
@pytest.mark.parametrize("width", list(WIDTHS))
def test_governance_pages_pass_axe_at_both_widths(
    chromium: Browser, gov: Governance, width: str
) -> None:
    visit = _signed_in(chromium, gov.url, "authority", width)
    try:
        problems = {}
        for lang in ("zh", "en"):
            for name, path in PAGES:
                answer = visit.page.goto(
                    path.format(**vars(gov)) + f"?lang={lang}", wait_until="networkidle"
                )
                assert answer is not None and answer.status == 200, (name, answer)
                if lang == "zh":
                    screenshot(visit.page, name, width)
                    violations = axe_violations(visit.page)
                    if violations:
                        problems[name] = violations
                assert horizontal_overflow(visit.page) <= 1, (name, lang, width)
        assert not problems, problems
        assert visit.foreign_requests(gov.url) == []
    finally:
        visit.context.close()


def test_every_label_is_in_both_languages(gov: Governance) -> None:
    with httpx.Client(base_url=gov.url, timeout=60) as client:
        ok(client.post("/v1/sessions", json={"username": "authority", "password": PASSWORD}), 201)
        for _name, path in PAGES[:-1]:
            for lang, sample in (("zh", "目录治理"), ("en", "Catalog governance")):
                text = client.get(path.format(**vars(gov)), params={"lang": lang}).text
                assert sample in text, (path, lang)
                assert "governance." not in text, (path, lang)


def test_the_overdue_page_labels_the_new_subjects_and_stages(
    authority: Page, gov: Governance
) -> None:
    page = authority
    answer = page.goto("/console/authority/overdue?lang=en")
    assert answer is not None and answer.status == 200
    table = page.locator("#overdue")
    expect(table).to_contain_text("Dataset version")
    expect(table).to_contain_text("Publication review")
    expect(table).to_contain_text(f"dataset {LATE} version 1")
    expect(table).to_contain_text("Annual quality assessment")
    expect(table).to_contain_text("Quality assessment answer")
    expect(table).to_contain_text("Catalog update after a change of law")
    expect(table).to_contain_text("Public report")
    expect(table).to_contain_text("Report answer")
    page.goto("/console/authority/overdue?lang=zh")
    for label in ("发布审核", "年度质量评估", "质量评估答复", "目录更新", "公众举报", "举报答复"):
        expect(page.locator("#overdue")).to_contain_text(label)


def test_the_queue_lists_waiting_submissions_the_overdue_first(
    authority: Page, gov: Governance
) -> None:
    page = authority
    page.goto("/console/authority/publication-reviews?lang=en")
    rows = page.locator("#publication-queue tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_id(f"review-{LATE}-1")
    expect(rows.first).to_have_class("is-overdue")
    expect(rows.first).to_contain_text("Overdue by")
    expect(rows.first).to_contain_text("Important")  # the proposal
    expect(page.locator(f"#review-{PUBLISHED}-2")).to_contain_text("New version")
    expect(page.locator(f"#review-{NEW}-1")).to_contain_text("New dataset")
    expect(page.locator(f"#review-{NEW}-1")).to_contain_text("2 working days left")
    page.select_option("#f-status", "passed")
    page.click("#queue-filter button")
    expect(page.locator(f"#review-{PROPOSED}-1")).to_contain_text("Passed")
    expect(page.locator(f"#review-{NEW}-1")).to_have_count(0)
    bad = page.goto("/console/authority/publication-reviews?status=pending&lang=en")
    assert bad is not None and bad.status == 422
    expect(page.locator("main")).to_contain_text("status must be one of")
    missing = page.goto(f"/console/authority/publication-reviews/{NEW}/9?lang=en")
    assert missing is not None and missing.status == 404


def test_a_first_pass_needs_a_grade_then_publishes(authority: Page, gov: Governance) -> None:
    page = authority
    page.goto(f"/console/authority/publication-reviews/{NEW}/1?lang=en")
    expect(page.locator("#review-dictionary")).to_contain_text("district")
    expect(page.locator("#quality-result")).to_have_text("Passed")
    expect(page.locator("#review-rows")).to_have_text("50")
    page.check("input[name=outcome][value=pass]")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#review-form button[type=submit]")
    assert posted.value.status == 422
    expect(page.locator("#review-error")).to_contain_text("has no grade yet")
    expect(page.locator("#f-grade")).to_have_attribute("aria-invalid", "true")
    assert _api(gov, "user", f"/v1/datasets/{NEW}").status_code == 404  # nothing published
    page.select_option("#f-grade", "important")
    page.click("#review-form button[type=submit]")
    expect(page.locator("#review-done")).to_be_visible()
    expect(page.locator("#review-status")).to_have_text("Passed")
    expect(page.locator("#review-form")).to_have_count(0)
    assert _api(gov, "user", f"/v1/datasets/{NEW}").status_code == 200
    grade = ok(_api(gov, "user", f"/v1/datasets/{NEW}/grade"))
    assert grade["approved"] == "important"


def test_a_return_needs_its_reason_and_the_provider_reads_it(
    authority: Page, gov: Governance
) -> None:
    page = authority
    page.goto(f"/console/authority/publication-reviews/{PUBLISHED}/2?lang=en")
    expect(page.locator("#review-entry")).to_contain_text("March refresh")
    page.check("input[name=outcome][value=return]")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#review-form button[type=submit]")
    assert posted.value.status == 422
    expect(page.locator("#review-error")).to_contain_text("needs its reason")
    expect(page.locator("#f-reason")).to_have_attribute("aria-invalid", "true")
    review = ok(_api(gov, "provider", f"/v1/datasets/{PUBLISHED}/versions/2/review"))
    assert review["status"] == "submitted"
    page.check("input[name=outcome][value=return]")
    page.fill("#f-reason", "The <b>age</b> column has values over 120")
    page.click("#review-form button[type=submit]")
    expect(page.locator("#review-status")).to_have_text("Returned")
    expect(page.locator("#review-note")).to_have_text("The <b>age</b> column has values over 120")
    review = ok(_api(gov, "provider", f"/v1/datasets/{PUBLISHED}/versions/2/review"))
    assert review["status"] == "returned"
    assert review["note"] == "The <b>age</b> column has values over 120"


def test_a_grade_proposal_is_approved(authority: Page, gov: Governance) -> None:
    page = authority
    page.goto("/console/authority/grade-proposals?lang=en")
    section = page.locator(f"#grade-{PROPOSED}")
    expect(section).to_contain_text("Important")
    # another grade than the proposal without a note is refused, nothing changed
    section.locator("select[name=grade]").select_option("core")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        section.locator("button[type=submit]").click()
    assert posted.value.status == 422
    expect(page.locator("#grade-error")).to_contain_text("needs a note")
    assert ok(_api(gov, "provider", f"/v1/datasets/{PROPOSED}/grade"))["approved"] == "general"
    section = page.locator(f"#grade-{PROPOSED}")
    section.locator("select[name=grade]").select_option("")
    section.locator("button[type=submit]").click()
    expect(page.locator("#grade-done")).to_contain_text(PROPOSED)
    expect(page.locator(f"#grade-{PROPOSED}")).to_have_count(0)
    grade = ok(_api(gov, "provider", f"/v1/datasets/{PROPOSED}/grade"))
    assert grade["approved"] == "important" and grade["proposed"] is None


def test_an_assessment_is_opened_answered_and_rectified(authority: Page, gov: Governance) -> None:
    page = authority
    page.goto("/console/authority/quality-assessments?lang=en")
    page.select_option("#f-dataset", PUBLISHED)
    page.fill("#f-year", "nineteen")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#open-form button[type=submit]")
    assert posted.value.status == 422
    expect(page.locator("#open-error")).to_contain_text("year must be")
    expect(page.locator("#f-year")).to_have_attribute("aria-invalid", "true")
    assert ok(_api(gov, "authority", f"/v1/quality-assessments?dataset={PUBLISHED}")) == []
    page.fill("#f-year", "")
    page.fill("#f-request", "Ages and districts")
    page.click("#open-form button[type=submit]")
    expect(page.locator("#assessment-done")).to_be_visible()
    expect(page.locator("#assessment-status")).to_have_text("Waiting for the answer")
    expect(page.locator("#assessment-due")).to_contain_text("10 working days left")
    found = ok(_api(gov, "authority", f"/v1/quality-assessments?dataset={PUBLISHED}"))
    assessment = int(found[0]["id"])
    with gov.world.client("provider") as provider:
        ok(
            provider.post(
                f"/v1/quality-assessments/{assessment}/answer",
                json={"note": "Version 1 is current"},
            )
        )
    page.reload()
    expect(page.locator("#assessment-answer")).to_contain_text("v1")
    expect(page.locator("#answer-note")).to_have_text("Version 1 is current")
    page.check("input[name=conclusion][value=rectify]")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#conclude-form button[type=submit]")
    assert posted.value.status == 422
    expect(page.locator("#conclude-error")).to_contain_text("note must not be empty")
    assert ok(_api(gov, "authority", f"/v1/quality-assessments/{assessment}"))["status"] == (
        "answered"
    )
    page.check("input[name=conclusion][value=rectify]")
    page.fill("#f-note", "Remove the ages over 120")
    page.click("#conclude-form button[type=submit]")
    expect(page.locator("#assessment-status")).to_have_text("Under rectification")
    expect(page.locator("#assessment-due")).to_contain_text("Rectification")
    expect(page.locator("#conclude-form")).to_have_count(0)
    page.goto("/console/authority/quality-assessments?status=rectification&lang=en")
    expect(page.locator(f"#assessment-{assessment}")).to_contain_text("Under rectification")
    _move_back(gov.server, "quality_assessment", assessment, days=21)
    page.goto("/console/authority/overdue?lang=en")
    late = page.locator("#overdue tr", has_text=f"quality of {PUBLISHED}")
    expect(late).to_contain_text("Rectification")
    expect(late).to_contain_text("Annual quality assessment")
    page.goto("/console/authority/quality-assessments?lang=en")
    page.select_option("#f-dataset", PUBLISHED)  # a second one for the same year
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#open-form button[type=submit]")
    assert posted.value.status == 409
    expect(page.locator("#open-error")).to_contain_text("already has a quality assessment")
    assert len(ok(_api(gov, "authority", f"/v1/quality-assessments?dataset={PUBLISHED}"))) == 1


def test_the_update_reminders_are_listed(authority: Page, gov: Governance) -> None:
    page = authority
    page.goto("/console/authority/update-reminders?lang=en")
    rows = page.locator("#update-reminders tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#update-reminders")).to_contain_text(PROPOSED)
    expect(page.locator("#update-reminders")).to_contain_text("Monthly")


def test_an_auditor_reads_without_forms_and_others_are_refused(
    chromium: Browser, gov: Governance
) -> None:
    auditor = _signed_in(chromium, gov.url, "auditor")
    provider = _signed_in(chromium, gov.url, "provider")
    try:
        page = auditor.page
        page.goto(f"/console/authority/publication-reviews/{LATE}/1?lang=en")
        expect(page.locator("#review-status")).to_have_text("Waiting for review")
        expect(page.locator("#review-form")).to_have_count(0)
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        refused = page.context.request.post(
            f"/console/authority/publication-reviews/{LATE}/1",
            form={"csrf_token": csrf, "outcome": "pass", "grade": "general"},
        )
        assert refused.status == 403
        assert ok(_api(gov, "authority", f"/v1/datasets/{LATE}/versions/1/review"))["status"] == (
            "submitted"
        )
        for path in ("publication-reviews", "grade-proposals", "quality-assessments"):
            answer = provider.page.goto(f"/console/authority/{path}?lang=en")
            assert answer is not None and answer.status == 403, path
    finally:
        auditor.context.close()
        provider.context.close()


def test_a_decision_without_its_csrf_token_is_refused(authority: Page, gov: Governance) -> None:
    forged = authority.context.request.post(
        f"/console/authority/publication-reviews/{LATE}/1", form={"outcome": "return"}
    )
    assert forged.status == 403
    review = ok(_api(gov, "authority", f"/v1/datasets/{LATE}/versions/1/review"))
    assert review["status"] == "submitted"
