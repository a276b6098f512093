"""The authority's and the auditor's pages in a real Chromium against the live server.

The authority signs in, is refused an invalid floor (the parser's message beside the
editor, the floor unchanged) and saves a valid one, passes an application's form review,
reads the dashboard (Chart.js canvases drawn from their data tables) and the overdue list;
the auditor filters the log, verifies the chain and opens a dataset's trace as a timeline,
and is refused the floor editor (the 403 page). Main views are checked with axe at both
widths and saved as screenshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sandbox.clock import utc_now
from sandbox.identity.model import Actor, Role
from sandbox.ledger.sql_charges import spend
from sandbox.policies.budget import PrivacyCost
from sandbox.store.db import transaction
from sandbox.store.models import BudgetChargeRow, WorkflowStageRow
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
from tests.support.world import grant, make_eligible, today, world_of

PASSWORD = "oversight-pages-2026"


@dataclass
class Oversight:
    url: str
    to_review: int
    overdue: int
    grant_ref: str
    change: int
    demand: int


def _application(title: str) -> dict[str, object]:
    return {
        "title": title,
        "reason": "district health study",
        "type": "dataset",
        "datasets": ["ov_health"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=60)).isoformat(),
        "results_form": "tables",
        "scenario": "aggregate statistics",
        "security_measures": "sandbox only",
        "commitment_signed": True,
    }


@pytest.fixture(scope="module")
def oversight(live_server: LiveServer, accounts: Accounts) -> Oversight:
    """Two datasets, an application waiting for its form review, one overdue (its stage
    backdated), a grant with two budget charges on different days."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        for name, attribute in (("ov_health", "conditional"), ("ov_parks", "unconditional")):
            ok(register(provider, parquet_bytes(people_table()), metadata(name, attribute)), 201)
    with world.client("admin") as admin:
        for who in ("authority", "auditor"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    with world.client("provider") as provider:
        change = ok(
            provider.post(
                "/v1/datasets/ov_parks/attribute-changes",
                json={
                    "to_attribute": "conditional",
                    "legal_basis": "Data Security Law art. 21",
                    "reason": "holds visitor counts by hour",
                },
            ),
            201,
        )
    make_eligible(world, "user")
    issued = grant(world, "user", ["ov_health"], title="Granted study")
    with world.client("user") as user:
        waiting = ok(user.post("/v1/applications", json=_application("To review")), 201)
        late = ok(user.post("/v1/applications", json=_application("Long waiting")), 201)
        demand = ok(
            user.post(
                "/v1/demands",
                json={"description": "bus stop boardings by hour", "dataset": "ov_boardings"},
            ),
            201,
        )
    platform = live_server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            stage = session.execute(
                select(WorkflowStageRow).where(
                    WorkflowStageRow.subject_type == "application",
                    WorkflowStageRow.subject_id == late["id"],
                )
            ).scalar_one()
            stage.started_at = utc_now() - timedelta(days=40)
            stage.due_on = today() - timedelta(days=20)
            stage.due_at = utc_now() - timedelta(days=20)
            for days_ago, loss in ((3, Fraction(1, 4)), (0, Fraction(1, 2))):
                charge = spend(
                    session,
                    grant=str(issued["ref"]),
                    dataset="ov_health",
                    cost=PrivacyCost(loss),
                    purpose="a count for the dashboard test",
                    actor=Actor(user_id=None, username="tests", role=Role.ADMIN),
                )
                session.flush()
                row = session.get(BudgetChargeRow, charge.id)
                assert row is not None
                row.created_at = utc_now() - timedelta(days=days_ago)
    finally:
        platform.close()
    return Oversight(
        live_server.url,
        int(waiting["id"]),
        int(late["id"]),
        str(issued["ref"]),
        int(change["id"]),
        int(demand["id"]),
    )


def _signed_in(browser: Browser, url: str, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, url, who, PASSWORD, width)


@pytest.fixture
def authority(chromium: Browser, oversight: Oversight) -> Iterator[Page]:
    visit = _signed_in(chromium, oversight.url, "authority")
    yield visit.page
    visit.context.close()


@pytest.fixture
def auditor(chromium: Browser, oversight: Oversight) -> Iterator[Page]:
    visit = _signed_in(chromium, oversight.url, "auditor")
    yield visit.page
    visit.context.close()


def _set_editor(page: Page, text: str) -> None:
    """Type into the CodeMirror editor as a person would: select all, then the text."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.locator(".cm-content").fill(text)


def test_the_authority_edits_the_floor_invalid_first(authority: Page) -> None:
    page = authority
    page.goto("/console/authority/floor?lang=en")
    expect(page.locator(".cm-editor")).to_be_visible()  # the vendored editor took the field
    _set_editor(page, '{"contribution_bound": 3, "no_such_rule": true}')
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Check and save").click()
    assert posted.value.status == 422
    error = page.locator("#floor-error")
    expect(error).to_contain_text("no_such_rule")
    expect(page.locator("#f-floor")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".cm-content")).to_contain_text("no_such_rule")  # kept for fixing
    screenshot(page, "authority-floor-invalid", "laptop")
    _set_editor(page, '{"contribution_bound": 3}')
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator("#floor-saved")).to_be_visible()
    expect(page.locator(".cm-content")).to_contain_text('"contribution_bound": 3')
    expect(page.locator(".facts")).to_contain_text("authority")
    # a form posted without the session's CSRF token is refused and changes nothing
    forged = page.context.request.post(
        "/console/authority/floor", form={"document": '{"contribution_bound": 9}'}
    )
    assert forged.status == 403
    page.goto("/console/authority/floor?lang=en")
    expect(page.locator(".cm-content")).to_contain_text('"contribution_bound": 3')


def test_the_authority_passes_a_form_review(authority: Page, oversight: Oversight) -> None:
    page = authority
    page.goto("/console/authority/reviews?lang=en")
    card = page.locator(f"#application-{oversight.to_review}")
    expect(card).to_contain_text("To review")
    # returning without a reason is refused beside the form, nothing changes
    card.get_by_label("Return", exact=True).check()
    card.get_by_role("button", name="Record the review").click()
    expect(page.locator(f"#error-application-{oversight.to_review}")).to_contain_text("reason")
    card = page.locator(f"#application-{oversight.to_review}")
    card.get_by_label("Pass", exact=True).check()
    card.get_by_role("button", name="Record the review").click()
    expect(page.locator("#review-done")).to_contain_text(f"application-{oversight.to_review}")
    expect(page.locator(f"#application-{oversight.to_review}")).to_have_count(0)


def test_the_authority_passes_a_request_to_a_provider_and_rejects_a_change(
    authority: Page, oversight: Oversight
) -> None:
    page = authority
    page.goto("/console/authority/reviews?lang=en")
    card = page.locator(f"#demand-{oversight.demand}")
    expect(card).to_contain_text("bus stop boardings")
    card.get_by_label("Data provider").select_option(label="Transport Bureau")
    card.get_by_role("button", name="Record the review").click()
    expect(page.locator("#review-done")).to_contain_text(f"demand-{oversight.demand}")
    page.goto("/console/authority/attribute-changes?lang=en")
    card = page.locator(f"#change-{oversight.change}")
    expect(card).to_contain_text("ov_parks")
    card.get_by_label("Decision note").fill("keep it open: counts only")
    card.get_by_role("button", name="Reject").click()
    expect(page.locator(f"#change-{oversight.change}")).to_have_count(0)
    decided = page.locator("#decided-changes tbody tr", has_text="ov_parks")
    expect(decided).to_contain_text("Rejected")
    expect(decided).to_contain_text("keep it open: counts only")


def test_the_dashboard_draws_its_charts_with_their_tables(authority: Page) -> None:
    page = authority
    page.goto("/console/dashboard?lang=en")
    for name in ("applications", "deadlines", "attributes", "complaints", "spending"):
        canvas = page.locator(f"#{name}-canvas")
        expect(canvas).to_have_attribute("data-drawn", "true")
        expect(page.locator(f"#{name}-table")).to_be_visible()
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => c.width > 0 && !!c.chart)"
    )
    assert drawn and all(drawn)
    spending = page.locator("#spending-table")
    expect(spending.locator("thead")).to_contain_text("ov_health")
    cumulative = spending.locator("tbody tr").last.locator("td").first
    expect(cumulative).to_have_text("0.75")  # 1/4 then 1/2, summed over the days
    points = page.evaluate(
        "() => document.getElementById('spending-canvas').chart.data.datasets[0].data"
    )
    assert points == [0.25, 0.75]
    expect(page.locator("#attributes-table")).to_contain_text("Conditionally open")


def _cells(page: Page, row_id: str) -> list[str]:
    return page.locator(f"#{row_id} td").all_inner_texts()


def test_the_dashboard_tabulates_usage_governance_plans_tasks_and_reports(
    authority: Page, oversight: Oversight, live_server: LiveServer, accounts: Accounts
) -> None:
    """The sections beside the charts: usage per dataset, catalog governance, the opening
    plans' progress, change-of-law tasks and public reports, each with the figures made here.
    """
    world = world_of(live_server, accounts)
    with world.client("user") as user:
        ok(user.put("/v1/datasets/ov_health/rating", json={"stars": 4}))
        for _ in range(2):
            ok(user.get("/v1/datasets/ov_parks"))
    with world.client("provider") as provider:
        plan = ok(
            provider.post(
                "/v1/opening-plans/entries",
                json={
                    "organisation_id": accounts["provider"].organisation_id,
                    "year": today().year,
                    "dataset": "ov_parks",
                    "title": "Park visits",
                    "open_attribute": "unconditional",
                    "due_on": f"{today().year}-12-31",
                },
            ),
            201,
        )
        ok(provider.post(f"/v1/opening-plans/{plan['id']}/submit"))
    with world.client("authority") as desk:
        ok(desk.post(f"/v1/opening-plans/{plan['id']}/decision", json={"outcome": "publish"}))
        ok(
            desk.post(
                "/v1/law-changes",
                json={
                    "kind": "law_revision",
                    "citation": "Parks Regulation 2026 revision",
                    "changed_on": today().isoformat(),
                    "datasets": ["ov_health", "ov_parks"],
                },
            ),
            201,
        )
    with live_server.client(None) as visitor:
        report = {"kind": "misuse", "dataset": "ov_health", "description": "rows sold online"}
        ok(visitor.post("/v1/public-reports", json={**report, "contact": "a@b.example"}), 201)
    with world.client("authority") as desk:
        stats = ok(desk.get("/v1/stats"))
    page = authority
    page.goto("/console/dashboard?lang=en")
    usage = {row["dataset"]: row for row in stats["dataset_usage"]}
    health, parks = usage["ov_health"], usage["ov_parks"]
    assert health["ratings"] == 1 and health["average_rating"] == 4.0 and parks["views"] >= 2
    for name, row in usage.items():
        assert _cells(page, f"usage-{name}") == [
            str(row["views"]),
            str(row["applications"]),
            str(row["jobs"]),
            str(row["downloads"]),
            str(row["ratings"]),
            "—" if row["average_rating"] is None else f"{row['average_rating']:.2f}",
            str(row["verification_calls"]),
            str(row["verified_records"]),
        ]
    expect(page.locator("#usage-table caption")).to_contain_text("per dataset")
    governance = stats["governance"]
    assert governance["grades"]["general"] == 2 and governance["publication"]["passed"] == 2
    for part, key in (("grades", "grade"), ("publication", "publication"), ("quality", "quality")):
        for name, count in governance[part].items():
            assert _cells(page, f"{key}-{name}") == [str(count)], (part, name)
    expect(page.locator("#grade-general th")).to_have_text("General")
    expect(page.locator("#publication-passed th")).to_have_text("Passed")
    expect(page.locator("#quality-reminders th")).to_have_text("Update reminders sent")
    expect(page.locator("#stale-datasets")).to_have_text(str(governance["stale_datasets"]))
    row = page.locator("#plans-table tbody tr", has_text="Health Bureau")
    expect(row.locator("th")).to_have_text(f"Health Bureau, {today().year}")
    progress = next(p for p in stats["opening_plans"] if p["organisation"] == "Health Bureau")
    assert row.locator("td").all_inner_texts() == [
        str(progress[k]) for k in ("entries", "met", "met_late", "pending", "overdue")
    ]
    assert progress["entries"] == 1
    tasks, reports = stats["law_change_tasks"], stats["public_reports"]
    assert tasks["open"] == 2 and reports["open"] == 1
    for row_id, figures in (("law-tasks-row", tasks), ("public-reports-row", reports)):
        assert _cells(page, row_id) == [str(figures[k]) for k in ("open", "overdue", "answered")], (
            row_id
        )
    for table in ("usage", "grades", "publication", "quality", "plans", "tasks"):
        heads = page.locator(f"#{table}-table thead th")
        assert set(heads.evaluate_all("hs => hs.map(h => h.scope)")) == {"col"}, table
        rows = page.locator(f"#{table}-table tbody th")
        assert set(rows.evaluate_all("hs => hs.map(h => h.scope)")) == {"row"}, table
    assert axe_violations(page) == []
    page.goto("/console/dashboard?lang=zh")
    expect(page.locator("#usage-title")).to_have_text("各数据集的使用情况")
    expect(page.locator("#grade-general th")).to_have_text("一般")
    expect(page.locator("#public-reports-row th")).to_have_text("公众举报")
    expect(
        page.locator("#plans-table tbody tr", has_text="Health Bureau").locator("th")
    ).to_have_text(f"Health Bureau {today().year} 年")


def test_the_overdue_list_names_the_late_application(authority: Page, oversight: Oversight) -> None:
    page = authority
    page.goto("/console/authority/overdue?lang=en")
    row = page.locator("#overdue tbody tr", has_text="Long waiting")
    expect(row).to_contain_text(f"Application #{oversight.overdue}")
    expect(row).to_contain_text("working days late")


def test_the_auditor_filters_verifies_and_traces(auditor: Page, oversight: Oversight) -> None:
    page = auditor
    page.goto("/console/audit?lang=en")
    page.get_by_label("Action").fill("policy.floor.set")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("#audit-entries tbody tr")
    expect(rows.first).to_contain_text("policy.floor.set")
    assert all("policy.floor.set" in text for text in rows.all_inner_texts())
    # a bad date is named beside its field, with a 422
    with page.expect_response(lambda r: "/console/audit" in r.url) as answer:
        page.goto("/console/audit?since=yesterday&lang=en")
    assert answer.value.status == 422
    expect(page.locator("#audit-error")).to_contain_text("since")
    expect(page.locator("#f-since")).to_have_attribute("aria-invalid", "true")
    # a date range (UTC days): today's entries only, and none before the platform existed
    day = utc_now().date().isoformat()
    page.goto(f"/console/audit?since={day}&until={day}&lang=en")
    stamps = page.locator("#audit-entries time").evaluate_all(
        "items => items.map(t => t.getAttribute('datetime'))"
    )
    assert stamps and all(stamp.startswith(day) for stamp in stamps)
    page.goto("/console/audit?until=2001-01-01&lang=en")
    expect(page.locator("#audit-none")).to_be_visible()
    # paging: a page of 25 with a next link that continues after its last entry
    page.goto("/console/audit?limit=25&lang=en")
    first_page = page.locator("#audit-entries tbody tr td:first-child").all_inner_texts()
    if page.locator("#audit-next").count():
        page.locator("#audit-next").click()
        later = page.locator("#audit-entries tbody tr td:first-child").all_inner_texts()
        assert int(later[0]) > int(first_page[-1])
    expect(page.locator("#audit-export")).to_have_attribute("href", "/v1/audit/export")
    exported = page.context.request.get("/v1/audit/export")
    assert exported.status == 200 and b'"action"' in exported.body()
    page.goto("/console/audit/verify?lang=en")
    expect(page.locator("#verify-verdict")).to_contain_text("The chain holds")
    page.goto("/console/audit/trace?lang=en")
    page.get_by_label("Dataset name").fill("ov_health")
    page.get_by_role("button", name="Trace").click()
    timeline = page.locator("ol.timeline > li")
    expect(timeline.first).to_be_visible()
    times = page.locator("ol.timeline time").evaluate_all(
        "items => items.map(t => t.getAttribute('datetime'))"
    )
    assert times == sorted(times)
    expect(page.locator("ol.timeline")).to_contain_text("charge")


def test_an_auditor_is_refused_the_floor_editor(auditor: Page) -> None:
    with auditor.expect_response(lambda r: "/console/authority/floor" in r.url) as answer:
        auditor.goto("/console/authority/floor?lang=en")
    assert answer.value.status == 403
    expect(auditor.locator("h1")).to_be_visible()
    expect(auditor.locator(".cm-editor")).to_have_count(0)
    screenshot(auditor, "auditor-floor-refused", "laptop")


MAIN_VIEWS: dict[str, tuple[tuple[str, str], ...]] = {
    "authority": (
        ("authority-floor", "/console/authority/floor"),
        ("authority-reviews", "/console/authority/reviews?lang=en"),
        ("authority-changes", "/console/authority/attribute-changes"),
        ("authority-overdue", "/console/authority/overdue?lang=en"),
        ("dashboard", "/console/dashboard"),
    ),
    "auditor": (
        ("audit-log", "/console/audit?limit=25"),
        ("audit-verify", "/console/audit/verify?lang=en"),
        ("audit-trace", "/console/audit/trace?dataset=ov_health"),
    ),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", list(MAIN_VIEWS))
def test_oversight_views_pass_axe_and_fit_both_widths(
    chromium: Browser, oversight: Oversight, who: str, width: str
) -> None:
    visit = _signed_in(chromium, oversight.url, who, width)
    try:
        problems = {}
        for name, path in MAIN_VIEWS[who]:
            visit.page.goto(path)
            visit.page.wait_for_load_state("networkidle")
            screenshot(visit.page, name, width)
            violations = axe_violations(visit.page)
            if violations:
                problems[name] = violations
            overflow = horizontal_overflow(visit.page)
            assert overflow <= 0, f"{name} is {overflow}px wider than {width}"
        assert not problems, problems
        assert visit.foreign_requests(oversight.url) == []
    finally:
        visit.context.close()
