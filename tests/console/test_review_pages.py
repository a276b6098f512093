"""The reviewer's airlock in a real Chromium against the live server.

A researcher's jobs finish and wait for review. The provider's reviewer opens the queue,
reads one held result (the model's source escaped, the check report, the grant's budget),
approves it, and the author then sees it released; a second decision by the same reviewer
is refused. Another result is refused a rejection without a reason (nothing changes), then
rejected with one, which its author reads. A researcher is refused the queue (403), a form
posted without the CSRF token is refused, and the pages pass axe at both widths.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, grant, make_eligible, world_of

PASSWORD = "review-pages-2026"
SOURCE = '"""Counts <b>rows</b> & says so."""\n\n\ndef run(ctx):\n    return 1\n'
"""A model whose docstring holds markup: the page must show it as text."""


@dataclass
class Airlock:
    world: World
    url: str
    to_approve: int
    to_reject: int
    to_read: int
    grant_ref: str
    two_reviewers: int


def _job(user: httpx.Client, dataset: str = "rv_health") -> int:
    job_id = int(
        ok(user.post("/v1/jobs", json={"datasets": [dataset], "source": SOURCE}), 201)["id"]
    )
    deadline = time.monotonic() + 120
    while (state := user.get(f"/v1/jobs/{job_id}").json()["state"]) != "pending_review":
        assert state not in ("failed", "rejected", "cancelled"), state
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.1)
    return job_id


@pytest.fixture(scope="module")
def airlock(live_server: LiveServer, accounts: Accounts) -> Airlock:
    """Two conditional datasets (``rv_two``'s policy asks two reviewers), a grant of
    ``user`` on both, three jobs on ``rv_health`` and one on ``rv_two`` waiting for review."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        for name in ("rv_health", "rv_two"):
            ok(
                register(provider, parquet_bytes(people_table()), metadata(name, "conditional")),
                201,
            )
        ok(
            provider.put(
                "/v1/datasets/rv_two/policy", json={"document": {"review": {"reviewers": 2}}}
            )
        )
    with world.client("admin") as admin:
        for who in ("reviewer", "provider", "user"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    issued = grant(world, "user", ["rv_health", "rv_two"], title="Reviewed study")
    with world.client("user") as user:
        jobs = [_job(user) for _ in range(3)]
        two = _job(user, "rv_two")
    return Airlock(world, live_server.url, jobs[0], jobs[1], jobs[2], str(issued["ref"]), two)


def _signed_in(browser: Browser, url: str, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, url, who, PASSWORD, width)


@pytest.fixture
def reviewer(chromium: Browser, airlock: Airlock) -> Iterator[Page]:
    visit = _signed_in(chromium, airlock.url, "reviewer")
    yield visit.page
    visit.context.close()


@pytest.fixture
def author(chromium: Browser, airlock: Airlock) -> Iterator[Page]:
    visit = _signed_in(chromium, airlock.url, "user")
    yield visit.page
    visit.context.close()


def _state(airlock: Airlock, job_id: int) -> str:
    with airlock.world.client("user") as user:
        return str(ok(user.get(f"/v1/jobs/{job_id}"))["state"])


def test_the_queue_lists_held_results_oldest_first(reviewer: Page, airlock: Airlock) -> None:
    page = reviewer
    page.goto("/console/reviews?lang=en")
    rows = page.locator("#review-queue tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_have_id(f"queue-job-{airlock.to_approve}")
    row = page.locator(f"#queue-job-{airlock.to_approve}")
    expect(row).to_contain_text("rv_health v1")
    expect(row).to_contain_text("user")
    expect(row).to_contain_text(airlock.grant_ref)
    expect(row.locator("td").last).to_have_text("0")  # submitted today: no working day yet


def test_a_reviewer_approves_and_the_author_sees_it_released(
    reviewer: Page, author: Page, airlock: Airlock
) -> None:
    page = reviewer
    page.goto("/console/reviews?lang=en")
    page.get_by_role("link", name=f"Review #{airlock.to_approve}").click()
    expect(page.locator("h1")).to_contain_text(f"job #{airlock.to_approve}")
    source = page.locator("#review-source")
    expect(source).to_contain_text("Counts <b>rows</b> & says so.")  # shown as text
    expect(source.locator("b")).to_have_count(0)
    expect(page.locator("#review-checks")).to_be_visible()
    expect(page.locator("#review-release")).to_contain_text("1")
    expect(page.locator("#review-budget")).to_contain_text("rv_health")
    screenshot(page, "review-held", "laptop")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Submit the decision").click()
    expect(page.locator("#review-done")).to_contain_text("Approve")
    expect(page.locator("#review-state")).to_contain_text("released")
    expect(page.locator("#review-decisions")).to_contain_text("reviewer: Approve")
    expect(page.locator("#review-form")).to_have_count(0)
    expect(page.locator("#review-cannot")).to_be_visible()
    # the same reviewer deciding again (a form posted from a stale page) is refused
    page.goto(f"/console/reviews/{airlock.to_read}?lang=en")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    again = page.context.request.post(
        f"/console/reviews/{airlock.to_approve}",
        form={"csrf_token": csrf or "", "outcome": "approve", "reason": ""},
    )
    assert again.status == 409
    assert "nothing to decide" in again.text()
    author.goto(f"/console/jobs/{airlock.to_approve}?lang=en")
    expect(author.locator("#job-state")).to_have_text("Released")


def test_a_reject_needs_its_reason_and_then_reaches_the_author(
    reviewer: Page, author: Page, airlock: Airlock
) -> None:
    page = reviewer
    page.goto(f"/console/reviews/{airlock.to_reject}?lang=en")
    page.get_by_role("radio", name="Reject").check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Submit the decision").click()
    assert posted.value.status == 422
    expect(page.locator("#review-error")).to_contain_text("states its reason")
    expect(
        page.get_by_role("radio", name="Reject")
    ).to_be_checked()  # the choice is kept for fixing
    expect(page.locator("#review-reason")).to_have_attribute("aria-invalid", "true")
    assert _state(airlock, airlock.to_reject) == "pending_review"  # nothing changed
    expect(page.locator("#review-decisions")).to_have_count(0)
    page.get_by_label("Reason (required to reject or return)").fill("counts of fewer than 10")
    page.get_by_role("button", name="Submit the decision").click()
    expect(page.locator("#review-done")).to_contain_text("Reject")
    expect(page.locator("#review-decisions")).to_contain_text("counts of fewer than 10")
    assert _state(airlock, airlock.to_reject) == "rejected"
    author.goto(f"/console/jobs/{airlock.to_reject}?lang=en")
    expect(author.locator("#job-state")).to_have_text("Rejected")
    expect(author.locator("body")).to_contain_text("counts of fewer than 10")


def test_a_researcher_is_refused_the_queue_and_a_forged_form_changes_nothing(
    reviewer: Page, author: Page, airlock: Airlock
) -> None:
    refused = author.goto("/console/reviews?lang=en")
    assert refused is not None and refused.status == 403
    opened = author.goto(f"/console/reviews/{airlock.to_read}?lang=en")
    assert opened is not None and opened.status == 403
    forged = reviewer.context.request.post(
        f"/console/reviews/{airlock.to_read}", form={"outcome": "approve"}
    )
    assert forged.status == 403
    assert _state(airlock, airlock.to_read) == "pending_review"


def test_two_reviewers_are_needed_and_one_cannot_approve_twice(
    chromium: Browser, reviewer: Page, author: Page, airlock: Airlock
) -> None:
    page = reviewer
    page.goto(f"/console/reviews/{airlock.two_reviewers}?lang=en")
    expect(page.locator("body")).to_contain_text("A release needs 2 distinct reviewers")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Submit the decision").click()
    expect(page.locator("#review-decisions")).to_contain_text("reviewer: Approve")
    expect(page.locator("#review-mine")).to_contain_text("You decided already (Approve)")
    expect(page.locator("#review-form")).to_have_count(0)
    assert _state(airlock, airlock.two_reviewers) == "pending_review"
    page.goto(f"/console/reviews/{airlock.to_read}?lang=en")  # a page with the session's form
    csrf = page.locator("#review-form input[name=csrf_token]").get_attribute("value")
    again = page.context.request.post(
        f"/console/reviews/{airlock.two_reviewers}",
        form={"csrf_token": csrf or "", "outcome": "approve", "reason": ""},
    )
    assert again.status == 409
    assert "you already decided" in again.text()
    assert _state(airlock, airlock.two_reviewers) == "pending_review"
    second = _signed_in(chromium, airlock.url, "provider")
    try:
        second.page.goto(f"/console/reviews/{airlock.two_reviewers}?lang=en")
        second.page.get_by_role("radio", name="Approve").check()
        second.page.get_by_role("button", name="Submit the decision").click()
        expect(second.page.locator("#review-state")).to_contain_text("released")
    finally:
        second.context.close()
    author.goto(f"/console/jobs/{airlock.two_reviewers}?lang=en")
    expect(author.locator("#job-state")).to_have_text("Released")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_review_pages_pass_axe(chromium: Browser, airlock: Airlock, width: str) -> None:
    visit = _signed_in(chromium, airlock.url, "reviewer", width)
    try:
        problems = {}
        for name, path in (
            ("review-queue", "/console/reviews?lang=en"),
            ("review-page", f"/console/reviews/{airlock.to_read}?lang=zh"),
        ):
            visit.page.goto(path)
            visit.page.wait_for_load_state("networkidle")
            screenshot(visit.page, name, width)
            violations = axe_violations(visit.page)
            if violations:
                problems[name] = violations
        assert not problems, problems
        assert visit.foreign_requests(airlock.url) == []
    finally:
        visit.context.close()
