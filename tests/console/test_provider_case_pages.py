"""The provider's case pages in a real Chromium against the live server.

A researcher applies, complains, objects, files a usage report and asks for the held logs
of two failed raw jobs. The provider then decides from the console: it approves one
application (the applicant's own page shows it approved) and is refused a refusal without
its reason (nothing changes) before refusing with one; it suspends a dataset from a
complaint, lifts the suspension and answers the complaint with its evidence; it answers an
objection ``corrected`` (refused until it names the new version); it releases one held log
(its author then reads it) and withholds the other (refused until it says why). Another
organisation's application is refused (403), a researcher is refused the pages (403), and
the main views pass axe at laptop and phone widths, with every label in both languages.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sandbox.store.db import transaction
from sandbox.store.models import GrantRow, WorkflowStageRow
from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    horizontal_overflow,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import (
    add_version,
    metadata,
    parquet_bytes,
    people_table,
    register,
    upload,
)
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, grant, make_eligible, today, world_of

PASSWORD = "provider-cases-2026"
DATASET = "pc_health"
OTHER = "pc_transport"
FAILING_RAW_MODEL = '''"""Logs <b>markup</b> and a count, then divides by zero."""


def run(ctx):
    table = ctx.table("pc_health")
    ctx.log("<b>rows</b> & more: " + str(table.num_rows))
    return {"ratio": table.num_rows / 0}
'''


@dataclass
class Cases:
    world: World
    url: str
    to_approve: int
    to_refuse: int
    overdue: int
    others: int
    complaint: int
    to_reprocess: int
    objection: int
    report: int
    raw_grant: int
    log_release: int
    log_withhold: int


def _apply(world: World, datasets: list[str], title: str) -> int:
    body = {
        "title": title,
        "reason": "A study of <i>care</i> waiting times",
        "type": "dataset",
        "datasets": datasets,
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=90)).isoformat(),
        "results_form": "tables",
        "scenario": "planning",
        "security_measures": "the platform's sandbox",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        app_id = int(ok(user.post("/v1/applications", json=body), 201)["id"])
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))
    return app_id


def _failed_raw_job(world: World) -> int:
    with world.client("user") as user:
        job_id = int(
            ok(
                user.post(
                    "/v1/jobs",
                    json={"datasets": [DATASET], "source": FAILING_RAW_MODEL, "kind": "raw"},
                ),
                201,
            )["id"]
        )
        deadline = time.monotonic() + 120
        while (state := user.get(f"/v1/jobs/{job_id}").json()["state"]) != "failed":
            assert state not in ("released", "rejected", "cancelled", "pending_review"), state
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.1)
        ok(user.post(f"/v1/jobs/{job_id}/log/release-request"))
    return job_id


def _move_deadline_back(server: LiveServer, application_id: int, *, days: int) -> None:
    """Let the provider's stage of an application be three weeks past its deadline, as if
    it had waited that long (the platform has no clock to turn)."""
    platform = server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            stage = session.execute(
                select(WorkflowStageRow).where(
                    WorkflowStageRow.subject_type == "application",
                    WorkflowStageRow.subject_id == application_id,
                    WorkflowStageRow.stage == "provider_review",
                )
            ).scalar_one()
            stage.due_on -= timedelta(days=days)
            stage.due_at -= timedelta(days=days)
    finally:
        platform.close()


@pytest.fixture(scope="module")
def cases(live_server: LiveServer, accounts: Accounts) -> Cases:
    """``pc_health`` (Health Bureau, raw jobs allowed) with two applications waiting for
    the provider, a complaint with an evidence file, an objection, a usage report and two
    held logs; ``pc_transport`` (Transport Bureau) with an application waiting for its
    own provider."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table()), metadata(DATASET, "conditional")), 201)
        ok(
            provider.put(
                f"/v1/datasets/{DATASET}/policy",
                json={"document": {"job_limits": {"raw_access_allowed": True}}},
            )
        )
    with world.client("other_provider") as other:
        ok(register(other, parquet_bytes(people_table()), metadata(OTHER, "conditional")), 201)
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user", "reviewer", "auditor"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    issued = grant(world, "user", [DATASET], title="Raw study", job_kinds=["dp", "raw"])
    to_approve = _apply(world, [DATASET], "Waiting times study")
    to_refuse = _apply(world, [DATASET], "Postcode study")
    overdue = _apply(world, [DATASET], "Backlog study")
    _move_deadline_back(live_server, overdue, days=21)
    others = _apply(world, [OTHER], "Traffic study")
    with world.client("user") as user:
        complaint = int(
            ok(
                user.post(
                    "/v1/complaints",
                    json={
                        "dataset": DATASET,
                        "kind": "privacy",
                        "description": "My <script>record</script> can be recognised",
                        "evidence_text": "row 12",
                    },
                ),
                201,
            )["id"]
        )
        ok(
            user.post(
                f"/v1/complaints/{complaint}/evidence",
                content=b"screenshot bytes",
                headers={"X-Filename": "proof.txt"},
            ),
            201,
        )
        to_reprocess = int(
            ok(
                user.post(
                    "/v1/complaints",
                    json={"dataset": DATASET, "kind": "privacy", "description": "Street names"},
                ),
                201,
            )["id"]
        )
        objection = int(
            ok(
                user.post(
                    "/v1/objections",
                    json={"dataset": DATASET, "kind": "error", "description": "Ages are off"},
                ),
                201,
            )["id"]
        )
        report = int(
            ok(
                user.post(
                    "/v1/usage-reports",
                    json={
                        "grant_id": issued["id"],
                        "kind": "usage",
                        "use": "counted visits",
                        "results": "one table",
                        "benefits": "shorter queues",
                    },
                ),
                201,
            )["id"]
        )
    jobs = [_failed_raw_job(world) for _ in range(2)]
    return Cases(
        world,
        live_server.url,
        to_approve,
        to_refuse,
        overdue,
        others,
        complaint,
        to_reprocess,
        objection,
        report,
        int(issued["id"]),
        jobs[0],
        jobs[1],
    )


def _signed_in(browser: Browser, url: str, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, url, who, PASSWORD, width)


@pytest.fixture
def provider(chromium: Browser, cases: Cases) -> Iterator[Page]:
    visit = _signed_in(chromium, cases.url, "provider")
    yield visit.page
    visit.context.close()


@pytest.fixture
def researcher(chromium: Browser, cases: Cases) -> Iterator[Page]:
    visit = _signed_in(chromium, cases.url, "user")
    yield visit.page
    visit.context.close()


def _api(cases: Cases, who: str, path: str) -> dict[str, object]:
    with cases.world.client(who) as client:
        return dict(ok(client.get(path)))


PAGES = (
    ("provider-applications", "/console/provider/applications"),
    ("provider-application", "/console/provider/applications/{to_refuse}"),
    ("provider-complaints", "/console/provider/complaints"),
    ("provider-complaint", "/console/provider/complaints/{complaint}"),
    ("provider-objection", "/console/provider/objections/{objection}"),
    ("provider-suspensions", "/console/provider/suspensions"),
    ("provider-reports", "/console/provider/reports"),
    ("provider-logs", "/console/provider/logs"),
    ("provider-log", "/console/provider/logs/{log_withhold}"),
)


# These run first (pytest keeps the file's order), while every form is still open.
@pytest.mark.parametrize("width", list(WIDTHS))
def test_provider_case_pages_pass_axe_at_both_widths(
    chromium: Browser, cases: Cases, width: str
) -> None:
    visit = _signed_in(chromium, cases.url, "provider", width)
    try:
        problems = {}
        for lang in ("zh", "en"):
            for name, path in PAGES:
                answer = visit.page.goto(
                    path.format(**vars(cases)) + f"?lang={lang}", wait_until="networkidle"
                )
                assert answer is not None and answer.status == 200, (name, answer)
                if lang == "zh":
                    screenshot(visit.page, name, width)
                    violations = axe_violations(visit.page)
                    if violations:
                        problems[name] = violations
                assert horizontal_overflow(visit.page) <= 1, (name, lang, width)
        assert not problems, problems
        assert visit.foreign_requests(cases.url) == []
    finally:
        visit.context.close()


def test_every_label_is_in_both_languages(cases: Cases) -> None:
    """No page falls back to a message key (the catalogue test checks each key has both)."""
    with httpx.Client(base_url=cases.url, timeout=60) as client:
        ok(client.post("/v1/sessions", json={"username": "provider", "password": PASSWORD}), 201)
        for _name, path in PAGES:
            for lang, sample in (("zh", "提供单位事项"), ("en", "Provider cases")):
                text = client.get(path.format(**vars(cases)), params={"lang": lang}).text
                assert sample in text, (path, lang)
                assert "pcases." not in text, (path, lang)


def test_the_provider_approves_and_the_applicant_sees_it(
    provider: Page, researcher: Page, cases: Cases
) -> None:
    page = provider
    page.goto("/console/provider/applications?lang=en")
    rows = page.locator("#provider-applications tbody tr")
    expect(rows).to_have_count(3)  # the other organisation's application is not listed
    late = page.locator(f"#application-{cases.overdue}")
    expect(rows.first).to_have_id(f"application-{cases.overdue}")  # the soonest deadline first
    expect(late).to_have_class("is-overdue")
    expect(late.locator(".badge--overdue")).to_contain_text(
        re.compile(r"Overdue by \d+ working days")
    )
    row = page.locator(f"#application-{cases.to_approve}")
    expect(row).to_contain_text("Waiting times study")
    expect(row).to_contain_text(re.compile(r"\d+ working days left|Due today"))
    page.get_by_role("link", name=f"#{cases.to_approve} Waiting times study").click()
    expect(page.locator("h1")).to_contain_text(f"Application #{cases.to_approve}")
    expect(page.locator("body")).to_contain_text("A study of <i>care</i> waiting times")
    screenshot(page, "provider-application", "laptop")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_label("Privacy budget (ε)").fill("2")
    page.get_by_label("Report interval (days)").fill("30")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision-done")).to_contain_text("Approved")
    expect(page.locator("#application-status")).to_have_text("Approved")
    expect(page.locator("#decision-form")).to_have_count(0)
    grant_id = _api(cases, "user", f"/v1/applications/{cases.to_approve}")["grant_id"]
    assert grant_id is not None
    assert _api(cases, "user", f"/v1/grants/{grant_id}")["report_interval_days"] == 30
    researcher.goto(f"/console/applications/{cases.to_approve}?lang=en")
    expect(researcher.locator("#app-status")).to_have_text("Approved")


def test_a_refusal_needs_its_reason_and_changes_nothing_without_it(
    provider: Page, researcher: Page, cases: Cases
) -> None:
    page = provider
    page.goto(f"/console/provider/applications/{cases.to_refuse}?lang=en")
    page.get_by_role("radio", name="Refuse").check()
    page.get_by_label("Legal basis").fill("Regulation art. 9")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Record the decision").click()
    assert posted.value.status == 422
    expect(page.locator("#decision-error")).to_contain_text("missing: reason")
    expect(page.locator("#decision-error")).to_be_focused()
    expect(page.locator("#refusal-reason")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("radio", name="Refuse")).to_be_checked()  # kept for fixing
    expect(page.get_by_label("Legal basis")).to_have_value("Regulation art. 9")
    assert _api(cases, "user", f"/v1/applications/{cases.to_refuse}")["status"] == (
        "provider_review"
    )
    page.get_by_label("Reason for refusing").fill("postcodes identify people")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision-done")).to_contain_text("refusal is recorded")
    expect(page.locator("#application-refusal")).to_have_text("postcodes identify people")
    assert _api(cases, "user", f"/v1/applications/{cases.to_refuse}")["status"] == "refused"
    researcher.goto(f"/console/applications/{cases.to_refuse}?lang=en")
    expect(researcher.locator("body")).to_contain_text("postcodes identify people")


def test_another_organisations_case_and_a_researcher_are_refused(
    provider: Page, researcher: Page, cases: Cases
) -> None:
    opened = provider.goto(f"/console/provider/applications/{cases.others}?lang=en")
    assert opened is not None and opened.status == 404  # as GET /v1/applications/{id}
    provider.goto(f"/console/provider/applications/{cases.to_approve}?lang=en")
    csrf = provider.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    refused = provider.context.request.post(
        f"/console/provider/applications/{cases.others}",
        form={"csrf_token": csrf, "outcome": "approve", "grant_budget": "1", "datasets": OTHER},
    )
    assert refused.status == 403
    assert "only a provider of the dataset" in refused.text()
    assert _api(cases, "user", f"/v1/applications/{cases.others}")["status"] == "provider_review"
    forged = provider.context.request.post(
        f"/console/provider/applications/{cases.to_refuse}", form={"outcome": "approve"}
    )
    assert forged.status == 403  # no CSRF token
    for path in ("applications", "complaints", "objections", "suspensions", "reports", "logs"):
        answer = researcher.goto(f"/console/provider/{path}?lang=en")
        assert answer is not None and answer.status == 403, path


def test_the_provider_suspends_lifts_and_answers_a_complaint(provider: Page, cases: Cases) -> None:
    page = provider
    page.goto("/console/provider/complaints?lang=en")
    row = page.locator(f"#complaint-{cases.complaint}")
    expect(row).to_contain_text("Waiting for the answer")
    expect(row).to_contain_text("working days left")
    row.get_by_role("link").click()
    expect(page.locator("#case-description")).to_have_text(
        "My <script>record</script> can be recognised"
    )
    evidence = page.get_by_role("link", name="Download proof.txt")
    href = evidence.get_attribute("href") or ""
    downloaded = page.context.request.get(href)
    assert downloaded.status == 200 and downloaded.body() == b"screenshot bytes"
    page.get_by_label("Reason (shown to everyone)").fill("checking the complaint")
    page.get_by_role("button", name="Suspend", exact=True).click()
    expect(page.locator("#case-done")).to_contain_text("suspended")
    expect(page.locator("#case-suspended")).to_be_visible()
    page.get_by_role("link", name="Suspensions").click()
    card = page.locator("#suspensions-none")
    expect(card).to_have_count(0)
    in_force = page.locator(".card", has_text=DATASET).first
    expect(in_force).to_contain_text("checking the complaint")
    in_force.get_by_label("Note").fill("the rows are generalised already")
    in_force.get_by_role("button", name="Resolve").click()
    expect(page.locator("#suspension-done")).to_contain_text(DATASET)
    expect(page.locator("#suspensions-none")).to_be_visible()
    with cases.world.client("user") as user:
        history = ok(user.get(f"/v1/datasets/{DATASET}/suspensions"))
    assert history[0]["resolution"] == "restored" and not history[0]["in_force"]
    page.goto(f"/console/provider/complaints/{cases.complaint}?lang=en")
    page.get_by_role("radio", name="Restore").check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send the answer").click()
    assert posted.value.status == 422  # an empty answer
    expect(page.locator("#answer-error")).to_contain_text("answer must not be empty")
    page.get_by_label("Answer", exact=True).fill("Row 12 is aggregated; nothing identifies you")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#case-done")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("Answered")
    expect(page.locator("#case-answer")).to_contain_text("Restored")
    assert _api(cases, "user", f"/v1/complaints/{cases.complaint}")["status"] == "answered"


def test_a_corrected_answer_names_the_new_version(provider: Page, cases: Cases) -> None:
    page = provider
    page.goto("/console/provider/objections?lang=en")
    page.locator(f"#objection-{cases.objection}").get_by_role("link").click()
    expect(page.locator("#latest-version")).to_have_text("v1")
    page.get_by_role("radio", name="Corrected").check()
    page.get_by_label("Answer", exact=True).fill("Ages are fixed")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send the answer").click()
    assert posted.value.status == 422
    expect(page.locator("#answer-error")).to_contain_text("names the new version")
    expect(page.get_by_label("New version holding the correction")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert _api(cases, "user", f"/v1/objections/{cases.objection}")["status"] == "open"
    with cases.world.client("provider") as client:  # the corrected data, passed by the authority
        ok(add_version(client, DATASET, parquet_bytes(people_table(50, offset=1))), 201)
    page.reload()  # the newest version now shows
    expect(page.locator("#latest-version")).to_have_text("v2")
    page.get_by_role("radio", name="Corrected").check()
    page.get_by_label("New version holding the correction").fill("2")
    page.get_by_label("Answer", exact=True).fill("Ages are fixed in version 2")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#case-status")).to_have_text("Answered")
    expect(page.locator("#case-answer")).to_contain_text("v2")
    seen = _api(cases, "user", f"/v1/objections/{cases.objection}")
    assert seen["outcome"] == "corrected" and seen["corrected_version"] == 2


def test_a_complaint_answered_by_reprocessing_stores_a_new_version(
    provider: Page, cases: Cases
) -> None:
    page = provider
    page.goto(f"/console/provider/complaints/{cases.to_reprocess}?lang=en")
    with cases.world.client("provider") as client:
        staged = ok(upload(client, parquet_bytes(people_table(30, offset=500))), 201)
    page.get_by_role("radio", name="Reprocess").check()
    page.get_by_label("Answer", exact=True).fill("street names removed")
    page.get_by_label("Upload id of the desensitised data").fill(staged["upload_id"])
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Send the answer").click()
    assert posted.value.status == 422  # no method named
    expect(page.locator("#answer-error")).to_contain_text("method")
    expect(page.get_by_label("Desensitisation method")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Upload id of the desensitised data")).to_have_value(
        staged["upload_id"]
    )
    assert _api(cases, "user", f"/v1/complaints/{cases.to_reprocess}")["status"] == "open"
    page.get_by_label("Desensitisation method").fill("suppression")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.locator("#case-status")).to_have_text("Answered")
    seen = _api(cases, "user", f"/v1/complaints/{cases.to_reprocess}")
    assert seen["outcome"] == "reprocessed" and seen["new_version"] is not None
    expect(page.locator("#case-answer")).to_contain_text(f"v{seen['new_version']}")
    expect(page.locator("#case-answer")).to_contain_text("Reprocessed")


def test_the_provider_reads_a_usage_report(provider: Page, cases: Cases) -> None:
    page = provider
    page.goto("/console/provider/reports?lang=en")
    expect(page.locator("#reports-due")).to_contain_text("Usage report")
    page.get_by_role("link", name=f"Report #{cases.report}").click()
    expect(page.locator("#report-benefits")).to_have_text("shorter queues")


def _log_lines(cases: Cases, job_id: int) -> list[str]:
    return list(_api(cases, "user", f"/v1/jobs/{job_id}/log")["lines"])  # type: ignore[call-overload]


def test_a_held_log_is_released_and_another_withheld(provider: Page, cases: Cases) -> None:
    page = provider
    page.goto("/console/provider/logs?lang=en")
    expect(page.locator(f"#log-job-{cases.log_release}")).to_contain_text("user")
    page.get_by_role("link", name=f"Review #{cases.log_release}'s log").click()
    log = page.locator("#held-log")
    expect(log).to_contain_text("<b>rows</b> & more: 50")  # escaped: shown as text
    expect(log.locator("b")).to_have_count(0)
    expect(page.locator("#held-errors")).to_contain_text("division by zero")
    assert _log_lines(cases, cases.log_release) == []  # held from its author so far
    screenshot(page, "provider-held-log", "laptop")
    page.get_by_role("radio", name="Release to the author").check()
    page.get_by_role("button", name="Submit the decision").click()
    expect(page.locator("#log-done")).to_contain_text("released")
    expect(page.locator("#log-review")).to_have_text("Released")
    assert _log_lines(cases, cases.log_release) == ["<b>rows</b> & more: 50"]
    page.goto(f"/console/provider/logs/{cases.log_withhold}?lang=en")
    page.get_by_role("radio", name="Withhold").check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Submit the decision").click()
    assert posted.value.status == 422
    expect(page.locator("#log-error")).to_contain_text("states its reason")
    expect(page.get_by_role("radio", name="Withhold")).to_be_checked()
    assert _api(cases, "user", f"/v1/jobs/{cases.log_withhold}")["log_review"] == "requested"
    page.get_by_label("Reason (required to withhold)").fill("the log names a person")
    page.get_by_role("button", name="Submit the decision").click()
    expect(page.locator("#log-refused-reason")).to_have_text("the log names a person")
    seen = _api(cases, "user", f"/v1/jobs/{cases.log_withhold}")
    assert seen["log_review"] == "refused" and seen["held"]
    assert _log_lines(cases, cases.log_withhold) == []


def test_oversight_reads_the_log_queue_but_never_the_log(chromium: Browser, cases: Cases) -> None:
    visit = _signed_in(chromium, cases.url, "auditor")
    try:
        page = visit.page
        page.goto("/console/provider/logs?lang=en")
        expect(page.locator(f"#log-job-{cases.log_withhold}")).to_have_count(0)  # decided
        page.goto(f"/console/provider/logs/{cases.log_withhold}?lang=en")
        expect(page.locator("#log-withheld")).to_be_visible()
        expect(page.locator("#held-log")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text("& more: 50")
        expect(page.locator("#log-form")).to_have_count(0)
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        refused = page.context.request.post(
            f"/console/provider/logs/{cases.log_withhold}",
            form={"csrf_token": csrf, "outcome": "release", "reason": ""},
        )
        assert refused.status == 403
    finally:
        visit.context.close()
    assert _api(cases, "user", f"/v1/jobs/{cases.log_withhold}")["log_review"] == "refused"


def test_the_pages_are_usable_with_the_keyboard(provider: Page, cases: Cases) -> None:
    page = provider
    page.goto(f"/console/provider/applications/{cases.to_approve}?lang=zh")
    expect(page.locator("h1")).to_contain_text("数据申请")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(40):  # the tabs are reached by Tab alone
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('.case-tabs') !== null"):
            break
    else:
        pytest.fail("the case tabs are not reachable with the keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/provider/applications")
    expect(page.locator("h1")).to_have_text("待决定的数据申请")


def test_a_holder_with_a_missing_report_is_asked_to_rectify(provider: Page, cases: Cases) -> None:
    """Runs last: the holder's grant is suspended by it."""
    grant_id = cases.raw_grant
    platform = cases.world.server.open_platform()
    try:  # the grant was accepted four months ago: its risk report is missing
        with transaction(platform.sessions) as session:
            row = session.get(GrantRow, grant_id)
            assert row is not None and row.accepted_at is not None
            row.accepted_at -= timedelta(days=120)
    finally:
        platform.close()
    page = provider
    page.goto("/console/provider/reports?lang=en")
    expect(page.locator("#reports-due .badge--overdue").first).to_contain_text("Missing")
    card = page.locator(f"#rectify-{cases.world.ids['user']}")
    expect(card).to_contain_text("user")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        card.get_by_role("button", name="Ask to rectify and suspend its grants").click()
    assert posted.value.status == 422
    card = page.locator(f"#rectify-{cases.world.ids['user']}")
    expect(card.locator(".error-summary")).to_contain_text("reason must not be empty")
    assert _api(cases, "user", f"/v1/grants/{grant_id}")["status"] == "active"
    card.get_by_label("What to rectify (shown to the holder)").fill("file the risk report")
    card.get_by_role("button", name="Ask to rectify and suspend its grants").click()
    expect(page.locator("#rectification-done")).to_be_visible()
    seen = _api(cases, "user", f"/v1/grants/{grant_id}")
    assert seen["status"] == "suspended"
    assert "file the risk report" in str(seen["status_reason"])
