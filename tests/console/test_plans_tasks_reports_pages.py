"""The work pages of opening plans, changes of law and public reports, in a real Chromium
against the live server.

The Health Bureau's provider drafts its plan from the console (refused a date outside the
plan's year, nothing added), submits it; the authority returns it (refused without a
note) and the provider sees the note, resubmits, and the authority publishes it and
amends it (refused a removal without its reason); the entries show met, met late,
overdue and pending. The authority records a change of law (refused without an affected
dataset) and sees the task it opened with its 15-working-day deadline; the provider closes
it (refused "new version" when none was stored, refused "no change" without a reason).
Two visitor reports reach the provider and the authority with their deadlines: the
authority opens a complaint from one, the provider asks a grant holder to rectify from
the other (refused for a user holding no grant). Another organisation and a researcher are
refused; the pages pass axe at laptop and phone widths in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from api.console.i18n import CATALOGUE
from sandbox.oversight.law_change_references import TaskResolution
from sandbox.oversight.law_changes import LawChangeKind, TaskStatus
from sandbox.oversight.opening_plan_model import EntryState, PlanStatus
from sandbox.oversight.public_reports import ReportOutcome, ReportStatus
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
from tests.support.world import CALENDAR, World, grant, make_eligible, today, world_of

pytestmark = pytest.mark.server

PASSWORD = "plans-tasks-reports-2026"
HEALTH = "ptr_health"
LATE = "ptr_late"
OTHER = "ptr_transport"


@dataclass
class Desk:
    world: World
    url: str
    year: int
    change_seed: int
    """A change of law recorded over the API before the pages are opened (its task is the
    one the axe pass sees open)."""
    task: int
    other_task: int
    complaint_report: int
    rectify_report: int
    spare_report: int


def _visitor_report(server: LiveServer, description: str) -> int:
    with server.client(None) as visitor:
        body = {
            "kind": "misuse",
            "dataset": HEALTH,
            "description": description,
            "contact": "citizen@example.org",
        }
        return int(ok(visitor.post("/v1/public-reports", json=body), 201)["id"])


@pytest.fixture(scope="module")
def desk(live_server: LiveServer, accounts: Accounts) -> Desk:
    """``ptr_health`` and ``ptr_late`` (Health Bureau), ``ptr_transport`` (Transport
    Bureau); a change of law affecting one of each; two visitor reports on ptr_health; a
    researcher holding a grant on it."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        for name in (HEALTH, LATE):
            ok(register(provider, parquet_bytes(people_table()), metadata(name)), 201)
    with world.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table()), metadata(OTHER)), 201)
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user", "authority"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    grant(world, "user", [HEALTH], title="Rectification study")
    with world.client("authority") as authority:
        change = ok(
            authority.post(
                "/v1/law-changes",
                json={
                    "kind": "function_change",
                    "citation": "Health Bureau functions notice 2026/3",
                    "changed_on": today().isoformat(),
                    "datasets": [HEALTH, OTHER],
                },
            ),
            201,
        )
    tasks = {t["dataset"]: int(t["id"]) for t in change["tasks"]}
    return Desk(
        world,
        live_server.url,
        today().year,
        int(change["id"]),
        tasks[HEALTH],
        tasks[OTHER],
        _visitor_report(live_server, "Rows of <b>ptr_health</b> sold on a forum"),
        _visitor_report(live_server, "A researcher posted a table of street names"),
        _visitor_report(live_server, "A second forum post"),
    )


def _signed_in(browser: Browser, url: str, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, url, who, PASSWORD, width)


@pytest.fixture
def provider(chromium: Browser, desk: Desk) -> Iterator[Page]:
    visit = _signed_in(chromium, desk.url, "provider")
    yield visit.page
    visit.context.close()


@pytest.fixture
def authority(chromium: Browser, desk: Desk) -> Iterator[Page]:
    visit = _signed_in(chromium, desk.url, "authority")
    yield visit.page
    visit.context.close()


def _api(desk: Desk, who: str, path: str) -> Any:
    with desk.world.client(who) as client:
        return ok(client.get(path))


PAGES = (
    ("ptr-plans", "/console/plans"),
    ("ptr-law-changes", "/console/law-changes"),
    ("ptr-law-change", "/console/law-changes/{change_seed}"),
    ("ptr-task", "/console/law-change-tasks/{task}"),
    ("ptr-reports", "/console/public-reports"),
    ("ptr-report", "/console/public-reports/{complaint_report}"),
)


# These run first (pytest keeps the file's order), while every form is still open.
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", ["provider", "authority"])
def test_the_pages_pass_axe_at_both_widths(
    chromium: Browser, desk: Desk, who: str, width: str
) -> None:
    visit = _signed_in(chromium, desk.url, who, width)
    try:
        problems = {}
        for lang in ("zh", "en"):
            for name, path in PAGES:
                answer = visit.page.goto(
                    path.format(**vars(desk)) + f"?lang={lang}", wait_until="networkidle"
                )
                assert answer is not None and answer.status == 200, (name, answer)
                if lang == "zh":
                    screenshot(visit.page, f"{name}-{who}", width)
                    violations = axe_violations(visit.page)
                    if violations:
                        problems[name] = violations
                assert horizontal_overflow(visit.page) <= 1, (name, lang, width)
        assert not problems, problems
        assert visit.foreign_requests(desk.url) == []
    finally:
        visit.context.close()


def test_every_label_is_in_both_languages(desk: Desk) -> None:
    """No page falls back to a message key, and every value a key is built from has one."""
    with httpx.Client(base_url=desk.url, timeout=60) as client:
        ok(client.post("/v1/sessions", json={"username": "authority", "password": PASSWORD}), 201)
        for _name, path in PAGES:
            for lang, sample in (
                ("zh", "开放与监督事项"),
                ("en", "Plans, law changes and reports"),
            ):
                text = client.get(path.format(**vars(desk)), params={"lang": lang}).text
                assert sample in text, (path, lang)
                assert "ptr." not in text, (path, lang)
    built = [f"ptr.plan_status.{s}" for s in PlanStatus]
    built += [f"participation.state.{s}" for s in EntryState]
    built += [f"ptr.law.kind.{k}" for k in LawChangeKind]
    built += [f"ptr.resolution.{r}" for r in TaskResolution]
    built += [f"ptr.task_status.{s}" for s in TaskStatus]
    built += [f"ptr.report_status.{s}" for s in ReportStatus]
    built += [f"ptr.outcome.{o}" for o in ReportOutcome]
    built += [f"ptr.outcome_choice.{o}" for o in ReportOutcome]
    assert [k for k in built if k not in CATALOGUE] == []


def _add_entry(page: Page, dataset: str, title: str, due: date) -> None:
    page.get_by_label("Dataset name").fill(dataset)
    page.get_by_label("Dataset title").fill(title)
    page.get_by_label("Open attribute").select_option("unconditional")
    page.get_by_label("Open by").fill(due.isoformat())
    page.get_by_role("button", name="Add to the plan").click()


def test_a_plan_is_drafted_returned_resubmitted_published_and_amended(
    provider: Page, authority: Page, desk: Desk
) -> None:
    year = desk.year
    page = provider
    page.goto("/console/plans?lang=en")
    expect(page.locator("#plans-none")).to_be_visible()
    # a date outside the plan's year is refused beside the form; nothing is added
    page.get_by_label("Year").fill(str(year))
    _add_entry(page, HEALTH, "Health visits", date(year + 1, 1, 10))
    expect(page.locator("#new-entry-error")).to_contain_text(f"not in the plan's year {year}")
    expect(page.get_by_label("Open by")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Dataset name")).to_have_value(HEALTH)  # kept for the correction
    assert _api(desk, "provider", "/v1/opening-plans") == []
    page.get_by_label("Open by").fill(date(year, 12, 31).isoformat())
    page.get_by_role("button", name="Add to the plan").click()
    expect(page.locator("#plan-done")).to_contain_text("The entry was added")
    plan_id = int(page.url.split("/console/plans/")[1].split("?")[0])
    for name, title, due in (
        (LATE, "Late register", date(year, 1, 2)),
        ("ptr_missing", "Never registered", date(year, 1, 5)),
        ("ptr_future", "Later this year", date(year, 12, 30)),
    ):
        _add_entry(page, name, title, due)
        expect(page.locator("#plan-done")).to_be_visible()
    rows = page.locator("#plan-entries tbody tr")
    expect(rows).to_have_count(4)
    # another organisation's dataset has no place in this plan
    _add_entry(page, OTHER, "Not ours", date(year, 12, 1))
    expect(page.locator("#entry-error")).to_contain_text("another organisation's")
    expect(rows).to_have_count(4)
    progress = page.locator("#plan-progress")
    for state, count in (("met", 1), ("met_late", 1), ("overdue", 1), ("pending", 1)):
        expect(progress.locator(f'[data-state="{state}"]')).to_have_text(str(count))
    expect(page.locator("#plan-entries")).to_contain_text("Opened late")
    screenshot(page, "ptr-plan-draft", "laptop")
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator("#plan-done")).to_contain_text("submitted")
    expect(page.locator("#plan-status")).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Add to the plan")).to_have_count(0)

    # the authority sees it first in its list, is refused a return without a note
    page = authority
    page.goto("/console/plans?lang=en")
    expect(page.locator("#ptr-plans tbody tr").first).to_have_id(f"plan-{plan_id}")
    page.get_by_role("link", name=f"Plan #{plan_id}").click()
    page.get_by_role("radio", name="Return for changes").check()
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator("#decision-error")).to_contain_text("note")
    expect(page.get_by_label("Note (required to return)")).to_have_attribute("aria-invalid", "true")
    assert _api(desk, "authority", f"/v1/opening-plans/{plan_id}")["status"] == "submitted"
    page.get_by_label("Note (required to return)").fill("Give ptr_future a firmer date")
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator("#plan-done")).to_contain_text("returned")

    # the provider reads the note, edits and resubmits
    page = provider
    page.goto(f"/console/plans/{plan_id}?lang=en")
    expect(page.locator("#plan-status")).to_have_text("Draft")
    expect(page.locator("#plan-note")).to_have_text("Give ptr_future a firmer date")
    page.get_by_role("button", name="Remove ptr_future from the plan").click()
    expect(page.locator("#plan-done")).to_contain_text("removed")
    _add_entry(page, "ptr_future", "Later this year", date(year, 12, 29))
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator("#plan-status")).to_have_text("Submitted")

    # the authority publishes; a published plan loses an entry only with its reason
    page = authority
    page.goto(f"/console/plans/{plan_id}?lang=en")
    page.get_by_role("radio", name="Publish").check()
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator("#plan-status")).to_have_text("Published")
    page.get_by_role("button", name="Remove ptr_missing from the plan").click()
    expect(page.locator("#remove-error")).to_contain_text("reason")
    expect(page.locator("#plan-entries tbody tr")).to_have_count(4)
    page.get_by_label("Reason to remove ptr_missing").fill("Merged into ptr_health")
    page.get_by_role("button", name="Remove ptr_missing from the plan").click()
    expect(page.locator("#plan-done")).to_contain_text("removed")
    expect(page.locator("#plan-entries tbody tr")).to_have_count(3)
    screenshot(page, "ptr-plan-published", "laptop")
    page.goto("/console/plans?status=submitted&lang=en")
    expect(page.locator("#plans-none")).to_be_visible()
    page.get_by_role("link", name="Published", exact=True).click()
    expect(page.locator(f"#plan-{plan_id}")).to_contain_text("Published")
    # the public list shows it now
    with desk.world.server.client(None) as visitor:
        public = visitor.get("/console/opening-plans", params={"lang": "en"}).text
    assert "Late register" in public and "Never registered" not in public


def test_a_change_of_law_opens_tasks_the_provider_closes(
    provider: Page, authority: Page, desk: Desk
) -> None:
    page = authority
    page.goto("/console/law-changes?lang=en")
    page.get_by_label("Citation").fill("Data Regulation, revised article 14")
    page.get_by_label("Day of the change").fill(today().isoformat())
    page.get_by_role("button", name="Record and open the tasks").click()
    expect(page.locator("#record-error")).to_contain_text("name the affected datasets")
    expect(page.get_by_label("Affected datasets")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Citation")).to_have_value("Data Regulation, revised article 14")
    before = _api(desk, "authority", "/v1/law-changes")
    assert isinstance(before, list) and len(before) == 1
    page.get_by_label("A law or regulation revised").check()
    page.get_by_label("Affected datasets").fill(f"{LATE}, {OTHER}")
    page.get_by_role("button", name="Record and open the tasks").click()
    expect(page.locator("#change-done")).to_contain_text("2 catalog tasks were opened")
    tasks = page.locator("#change-tasks tbody tr")
    expect(tasks).to_have_count(2)
    expect(tasks.first).to_contain_text(re.compile(r"\d+ working days left"))
    change = _api(desk, "authority", "/v1/law-changes")[0]
    stage = change["tasks"][0]["stages"][0]
    fifteen = CALENDAR.add_working_days(today(), 15).isoformat()
    assert stage["stage"] == "catalog_update" and stage["due_on"] == fifteen
    expect(tasks.first).to_contain_text(stage["due_on"])

    # the provider sees only its organisation's tasks and closes one
    page = provider
    page.goto("/console/law-changes?lang=en")
    rows = page.locator("#law-tasks tbody tr")
    expect(rows).to_have_count(2)  # ptr_health (seed) and ptr_late, never ptr_transport
    expect(page.locator("#law-tasks")).not_to_contain_text(OTHER)
    page.get_by_role("link", name=f"Task #{desk.task}").click()
    expect(page.locator("h1")).to_contain_text(HEALTH)
    page.get_by_role("radio", name="New version").check()
    page.get_by_label("Reference (optional)").fill("7")  # version 1 is the only one
    page.get_by_role("button", name="Close the task").click()
    expect(page.locator("#close-error")).to_contain_text("no version of dataset")
    expect(page.get_by_label("Reference (optional)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Reference (optional)").fill("")
    page.get_by_role("radio", name="No change needed").check()
    page.get_by_role("button", name="Close the task").click()
    expect(page.locator("#close-error")).to_contain_text("reason")
    assert _api(desk, "provider", "/v1/law-change-tasks?status=open") != []
    page.get_by_label("Reason (required for no change)").fill("The notice leaves visits alone")
    page.get_by_role("button", name="Close the task").click()
    expect(page.locator("#task-done")).to_contain_text("closed")
    expect(page.locator("#task-status")).to_have_text("Closed")
    expect(page.locator("#task-closure")).to_contain_text("No change needed")
    expect(page.locator("#task-stages")).to_contain_text("No change needed")
    closed = _api(desk, "provider", "/v1/law-change-tasks?status=closed")
    assert [t["id"] for t in closed] == [desk.task]
    page.goto("/console/law-changes?tasks=closed&lang=en")
    expect(page.locator("#law-tasks tbody tr")).to_have_count(1)
    expect(page.locator(f"#task-{desk.task}")).to_contain_text("No change needed")
    page.get_by_role("link", name="Overdue").click()
    expect(page.locator("#tasks-none")).to_be_visible()  # the open one is not late yet


def test_reports_are_answered_with_a_complaint_and_a_rectification(
    provider: Page, authority: Page, desk: Desk
) -> None:
    page = authority
    page.goto("/console/public-reports?lang=en")
    row = page.locator(f"#report-{desk.complaint_report}")
    expect(row).to_contain_text(HEALTH)
    expect(row).to_contain_text(re.compile(r"\d+ working days left|Due today"))
    row.get_by_role("link").click()
    expect(page.locator("#report-description")).to_have_text(
        "Rows of <b>ptr_health</b> sold on a forum"
    )
    expect(page.locator("body")).to_contain_text("citizen@example.org")
    # the authority opens a complaint; the kind is required
    page.get_by_role("radio", name="Open a complaint about the dataset").check()
    page.get_by_label("Answer", exact=True).fill("A complaint is opened with the provider")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#answer-error")).to_contain_text("complaint_kind")
    page.get_by_label("Complaint kind (to open a complaint)").select_option("privacy")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#report-done")).to_be_visible()
    expect(page.locator("#report-answer")).to_contain_text("Complaint opened")
    complaint_id = _api(desk, "authority", f"/v1/public-reports/{desk.complaint_report}")[
        "complaint_id"
    ]
    assert complaint_id is not None
    complaint = _api(desk, "provider", f"/v1/complaints/{complaint_id}")
    assert complaint["dataset"] == HEALTH

    # the provider asks the grant holder to rectify (refused for a user with no grant)
    page = provider
    page.goto("/console/public-reports?lang=en")
    expect(page.locator(f"#report-{desk.complaint_report}")).to_contain_text("Answered")
    page.goto(f"/console/public-reports/{desk.complaint_report}?lang=en")
    expect(page.locator("#report-complaint a")).to_have_attribute(
        "href", f"/console/provider/complaints/{complaint_id}"
    )
    page.goto(f"/console/public-reports/{desk.rectify_report}?lang=en")
    page.get_by_role("radio", name="Ask a user to rectify").check()
    page.get_by_label("Answer", exact=True).fill("The user is asked to take the table down")
    holders = page.get_by_label("User to rectify", exact=True).locator("option")
    expect(holders).to_have_count(2)  # "Choose" and the one holder of a grant on ptr_health
    page.get_by_role("button", name="Send the answer").click()  # no user chosen
    expect(page.locator("#answer-error")).to_contain_text("user_id")
    expect(page.get_by_label("User to rectify", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page.get_by_label("Answer", exact=True)).to_have_value(
        "The user is asked to take the table down"
    )
    # a user holding no grant here, posted past the list, is refused beside the form
    refused = page.request.post(
        f"/console/public-reports/{desk.rectify_report}/answer",
        form={
            "csrf_token": _csrf(page),
            "outcome": "rectification",
            "answer": "posted past the list",
            "user_id": str(desk.world.ids["other_provider"]),
        },
    )
    assert refused.status == 404 and "holds no grant" in refused.text()
    assert _api(desk, "provider", f"/v1/public-reports/{desk.rectify_report}")["status"] == "open"
    page.goto(f"/console/public-reports/{desk.rectify_report}?lang=en")
    page.get_by_role("radio", name="Ask a user to rectify").check()
    page.get_by_label("Answer", exact=True).fill("The user is asked to take the table down")
    page.get_by_label("User to rectify", exact=True).select_option(str(desk.world.ids["user"]))
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#report-rectified")).to_contain_text(f"user #{desk.world.ids['user']}")
    grants = _api(desk, "user", "/v1/grants")
    assert any(g["status"] == "suspended" for g in grants)
    screenshot(page, "ptr-report-answered", "laptop")


def test_others_are_refused(chromium: Browser, desk: Desk) -> None:
    other = _signed_in(chromium, desk.url, "other_provider")
    researcher = _signed_in(chromium, desk.url, "user")
    provider = _signed_in(chromium, desk.url, "provider")
    try:
        # another organisation's task and reports do not exist for it
        answer = other.page.goto(f"/console/law-change-tasks/{desk.task}")
        assert answer is not None and answer.status == 404
        other.page.goto("/console/public-reports?lang=en")
        expect(other.page.locator("#reports-none")).to_be_visible()
        answer = other.page.goto(f"/console/public-reports/{desk.rectify_report}")
        assert answer is not None and answer.status == 404
        # a researcher is refused the work pages
        for path in ("/console/plans", "/console/law-changes", "/console/public-reports"):
            answer = researcher.page.goto(path)
            assert answer is not None and answer.status == 403, path
        # a provider cannot record a change of law, nor open a complaint from a report
        page = provider.page
        page.goto("/console/law-changes?lang=en")
        expect(page.locator("#record-form")).to_have_count(0)
        refused = page.request.post(
            "/console/law-changes",
            form={
                "csrf_token": _csrf(page),
                "kind": "law_revision",
                "citation": "Not the provider's to record",
                "changed_on": today().isoformat(),
                "datasets": HEALTH,
            },
        )
        assert refused.status == 403
        changes = _api(desk, "authority", "/v1/law-changes")
        assert "Not the provider's to record" not in str(changes)
        page.goto(f"/console/public-reports/{desk.spare_report}?lang=en")
        expect(page.get_by_role("radio", name="Open a complaint about the dataset")).to_have_count(
            0
        )
        refused = page.request.post(
            f"/console/public-reports/{desk.spare_report}/answer",
            form={
                "csrf_token": _csrf(page),
                "outcome": "complaint",
                "complaint_kind": "privacy",
                "answer": "a provider opening a complaint",
            },
        )
        assert refused.status == 403
        spare = _api(desk, "provider", f"/v1/public-reports/{desk.spare_report}")
        assert spare["status"] == "open"
    finally:
        for visit in (other, researcher, provider):
            visit.context.close()


def _csrf(page: Page) -> str:
    page.goto("/console/plans")
    value = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert value
    return value
