"""The researcher's pages in a real Chromium against the live server: signing in by the
console's form (a wrong password first), an application filed with a bad field first (its
message beside the field, nothing filed) then a good one with its working-day deadline, a
grant's agreement accepted by its CSRF form, the budget gauge after a charge, another
holder's grant refused, and sign-out. Main views are checked with axe at both widths and
saved as screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

import pytest
from playwright.sync_api import Browser, Page, expect

from sandbox.identity.model import Actor, Role
from sandbox.ledger.sql_charges import spend
from sandbox.policies.budget import PrivacyCost
from sandbox.store.db import transaction
from tests.support.browser import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    open_visit,
    screenshot,
)
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import add_users, grant, make_eligible, today, world_of

PASSWORD = "research-pages-2026"


@dataclass
class Research:
    url: str
    pending_grant: int
    other_grant: int


@pytest.fixture(scope="module")
def research(live_server: LiveServer, accounts: Accounts) -> Research:
    """A conditional dataset; ``user`` has a grant waiting for acceptance, and another
    researcher an active grant that ``user`` must not see."""
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        body = metadata("rs_clinics", "conditional", title="Clinic visits")
        ok(register(provider, parquet_bytes(people_table()), body), 201)
    add_users(world, "rival")
    with world.client("admin") as admin:
        ok(admin.put(f"/v1/users/{world.ids['user']}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user", "rival")
    pending = grant(world, "user", ["rs_clinics"], title="Clinic study", accept=False)
    other = grant(world, "rival", ["rs_clinics"], title="Rival study")
    return Research(live_server.url, int(pending["id"]), int(other["id"]))


def _sign_in(page: Page, password: str) -> None:
    page.goto("/console/sign-in?next=/console/applications&lang=en")
    page.get_by_label("Username").fill("user")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def researcher(chromium: Browser, research: Research) -> Iterator[Page]:
    visit = open_visit(chromium, research.url)
    _sign_in(visit.page, PASSWORD)
    expect(visit.page.locator("h1")).to_have_text("Applications")
    yield visit.page
    visit.context.close()


def _check_views(page: Page, name: str) -> None:
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        screenshot(page, name, width)
        assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {width}"
        assert axe_violations(page) == [], f"{name} at {width}"  # serious or critical
    page.set_viewport_size(WIDTHS["laptop"])


def test_a_wrong_password_shows_the_one_message(chromium: Browser, research: Research) -> None:
    visit = open_visit(chromium, research.url)
    try:
        _sign_in(visit.page, "not-the-password")
        expect(visit.page.locator(".error-summary")).to_contain_text("not correct")
        expect(visit.page.get_by_label("Username")).to_have_value("user")
        visit.page.goto("/console/applications")
        expect(visit.page.locator("h1")).not_to_have_text("Applications")  # still a visitor
    finally:
        visit.context.close()


def test_an_application_with_a_bad_field_then_a_good_one(researcher: Page) -> None:
    page = researcher
    page.get_by_role("link", name="New application").click()
    page.get_by_label("Title").fill("District clinic visits")
    page.get_by_label("Datasets (comma separated)").fill("rs_clinics")
    page.get_by_label("Type").select_option("dataset")
    start, end = today(), today() + timedelta(days=90)
    page.get_by_label("Period starts").fill(start.isoformat())
    page.get_by_label("Period ends").fill(end.isoformat())
    page.get_by_label("Reason and purpose").fill("seasonal load by district")
    page.get_by_label("Form of the results").fill("aggregate tables")
    page.get_by_label("Scenario of use").fill("planning")
    # the security measures are left out: refused by name, beside the field
    page.get_by_label("I commit that").check()
    page.get_by_role("button", name="File the application").click()
    expect(page.locator(".error-summary")).to_be_focused()
    field = page.get_by_label("Security measures")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-security_measures")).to_have_text("This field is required")
    expect(page.get_by_label("Title")).to_have_value("District clinic visits")  # kept
    _check_views(page, "research-application-refused")
    field.fill("sandbox only, no downloads of rows")
    page.get_by_role("button", name="File the application").click()
    expect(page.locator("#app-status")).to_have_text("Waiting for form review")
    expect(page.locator("#stages")).to_contain_text("Form review")
    expect(page.locator("#stages")).to_contain_text("working day")
    _check_views(page, "research-application")
    page.goto("/console/applications")
    expect(page.locator("#applications")).to_contain_text("District clinic visits")


def test_the_agreement_accepted_and_the_budget_gauge(
    researcher: Page, research: Research, live_server: LiveServer
) -> None:
    page = researcher
    page.goto("/console/grants")
    page.locator("#grants a").first.click()
    expect(page.locator("#grant-status")).to_have_text("Waiting for acceptance")
    _check_views(page, "research-grant-pending")
    page.get_by_role("button", name="I have read and accept the agreement").click()
    expect(page.locator("#grant-status")).to_have_text("Active")
    gauge = page.locator("#budget-rs_clinics meter")
    expect(gauge).to_have_attribute("value", "0")
    platform = live_server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            ref = page.locator("h1").inner_text().split()[-1]
            spend(
                session,
                grant=ref,
                dataset="rs_clinics",
                cost=PrivacyCost(Fraction(5, 4)),
                purpose="a count for the gauge test",
                actor=Actor(user_id=None, username="tests", role=Role.ADMIN),
            )
    finally:
        platform.close()
    page.reload()
    expect(gauge).to_have_attribute("value", "25")  # 1.25 of the 5 granted
    expect(page.locator("#budget-rs_clinics .budget-text")).to_contain_text("Spent 1.25 of 5")
    _check_views(page, "research-grant")


def test_another_holders_grant_is_refused(researcher: Page, research: Research) -> None:
    answer = researcher.goto(f"/console/grants/{research.other_grant}")
    assert answer is not None and answer.status == 404
    expect(researcher.locator("h1")).not_to_contain_text("Rival")
    accept = researcher.context.request.post(
        f"/console/grants/{research.other_grant}/accept",
        form={"agreement_version": "2026.1"},
    )
    assert accept.status == 403  # no CSRF token: refused before anything is read


def test_sign_out_ends_the_session(researcher: Page) -> None:
    page = researcher
    page.goto("/console/grants")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/catalog$"))
    answer = page.goto("/console/grants")
    assert answer is not None and answer.status == 401


def test_a_visitor_registers_a_bad_email_first(chromium: Browser, research: Research) -> None:
    visit = open_visit(chromium, research.url)
    page = visit.page
    try:
        page.goto("/console/catalog?lang=en")
        page.get_by_role("link", name="Register").click()
        page.get_by_label("Username").fill("newcomer")
        page.get_by_label("Password").fill("a-long-enough-password-2026")
        page.get_by_label("Name", exact=True).fill("New Comer")
        page.get_by_label("E-mail").fill("not-an-address")
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#r-email-error")).to_contain_text("not an e-mail address")
        expect(page.get_by_label("Username")).to_have_value("newcomer")  # kept
        _check_views(page, "research-register-refused")
        page.get_by_label("Password").fill("a-long-enough-password-2026")
        page.get_by_label("E-mail").fill("newcomer@example.org")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("#register-done")).to_contain_text("newcomer")
        page.goto("/console/sign-in?next=/console/account&lang=en")
        page.get_by_label("Username").fill("newcomer")
        page.get_by_label("Password").fill("a-long-enough-password-2026")
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/console/account$"))
    finally:
        visit.context.close()
