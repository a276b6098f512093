"""The researcher's jobs in a real Chromium against a live server that runs jobs (Ray and
bubblewrap; the dataset's review mode ``auto_dp``, so a DP result is released at once):
the model editor (the vendored CodeMirror) dry-runs its source on mock data, a vetted
model's generated form is refused a bad parameter then submits a DP job, whose page
refreshes until it is released and shows the result as a table and a Chart.js chart with
download links; another researcher's job is a 404 page. Screenshots and axe at both widths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.auto_dp import GRANT, auto_dp_world, bwrap_server
from tests.support.browser import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    open_visit,
    screenshot,
)
from tests.support.datafiles import SECRET_MARKER, people_table
from tests.support.http import ok
from tests.support.server import LiveServer
from tests.support.world import add_users, grant, make_eligible

PASSWORD = "research-jobs-2026"
DATASET = "rj_people"


@dataclass
class Jobs:
    url: str
    grant: str
    other_job: int


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with bwrap_server(
        tmp_path_factory.mktemp("research-ray"), tmp_path_factory.mktemp("research") / "var"
    ) as live:
        yield live


@pytest.fixture(scope="module")
def jobs(live_server: LiveServer) -> Jobs:
    world = auto_dp_world(live_server, DATASET, people_table(300))
    with world.client("admin") as admin:
        ok(admin.put(f"/v1/users/{world.ids['user']}/password", json={"new_password": PASSWORD}))
    add_users(world, "rival")
    make_eligible(world, "rival")
    rival_ref = grant(world, "rival", [DATASET], title="Rival study")["ref"]
    with world.client("rival") as rival:
        body = {"datasets": [DATASET], "model": "count_rows", "grant": rival_ref}
        body["params"] = {"dataset": DATASET}
        other = ok(rival.post("/v1/jobs", json=body), 201)
    return Jobs(live_server.url, str(world.grants[GRANT]), int(other["id"]))


@pytest.fixture
def researcher(chromium: Browser, jobs: Jobs) -> Iterator[Page]:
    visit = open_visit(chromium, jobs.url)
    page = visit.page
    page.goto("/console/sign-in?next=/console/jobs&lang=en")
    page.get_by_label("Username").fill("user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Jobs")
    yield page
    visit.context.close()


def _check_views(page: Page, name: str) -> None:
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        screenshot(page, name, width)
        assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {width}"
        assert axe_violations(page) == [], f"{name} at {width}"  # serious or critical
    page.set_viewport_size(WIDTHS["laptop"])


def test_a_dry_run_from_the_model_editor(researcher: Page, jobs: Jobs) -> None:
    page = researcher
    page.goto(f"/console/jobs/new?grant={jobs.grant}&dataset={DATASET}")
    editor = page.locator("#form-source .cm-editor")
    expect(editor).to_be_visible()  # the vendored CodeMirror took the textarea
    expect(page.locator("#form-source .cm-content")).to_contain_text(f'ctx.dataset("{DATASET}")')
    _check_views(page, "research-job-new")
    page.locator("#form-source").get_by_role("button", name="Dry run on mock data").click()
    expect(page.locator("#dry-outcome")).to_be_visible()
    dry = page.locator("#dry-run").inner_text()
    assert "rows" in dry and SECRET_MARKER not in dry
    _check_views(page, "research-dry-run")


def test_a_vetted_model_through_its_form_to_a_released_table(researcher: Page, jobs: Jobs) -> None:
    page = researcher
    page.goto(f"/console/jobs/new?grant={jobs.grant}&dataset={DATASET}")
    form = page.locator("#form-count_by_group")
    page.locator("details.model-form", has=form).locator("summary").click()
    epsilon = form.get_by_label("epsilon")
    expect(epsilon).to_have_attribute("type", "number")
    expect(epsilon).to_have_attribute("max", "10")
    expect(epsilon).to_have_value("1.0")  # the schema's default
    form.get_by_label("dataset *").fill(DATASET)
    form.get_by_label("group *").fill("district")
    epsilon.fill("50")  # above the schema's maximum: refused by the domain, nothing stored
    form.evaluate("f => f.noValidate = true")
    form.get_by_role("button", name="Submit the job").click()
    expect(page.locator(".error-summary")).to_contain_text("epsilon")
    form = page.locator("#form-count_by_group")
    expect(form.get_by_label("epsilon")).to_have_value("50")  # kept for correction
    form.get_by_label("epsilon").fill("1")
    form.get_by_role("button", name="Submit the job").click()
    expect(page).to_have_url(re.compile(r"/console/jobs/\d+$"))
    expect(page.locator("#job-state")).to_have_text("Released", timeout=180_000)
    table = page.locator("#result-1-table")
    expect(table).to_contain_text("North")
    expect(page.locator("canvas.result-chart")).to_have_attribute("data-drawn", "true")
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    assert SECRET_MARKER not in page.content()
    _check_views(page, "research-job-result")
    page.goto("/console/jobs")
    expect(page.locator("#jobs")).to_contain_text("count_by_group")


def test_another_researchers_job_is_not_found(researcher: Page, jobs: Jobs) -> None:
    answer = researcher.goto(f"/console/jobs/{jobs.other_job}")
    assert answer is not None and answer.status == 404
    expect(researcher.locator("#job-state")).to_have_count(0)
