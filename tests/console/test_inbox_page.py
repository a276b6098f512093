"""The inbox page in a real Chromium against the live server.

A researcher's application is approved and another returned: the header's *Inbox* link
shows two unread; the page lists both in the page's language, links each to its
application, marks one read and then all; the preferences form sets the language and turns
decisions' e-mail off (the API agrees). Another account's notification is a 404 page and a
form without the CSRF token is refused, both changing nothing; the page passes axe at both
widths without overflowing a phone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    horizontal_overflow,
    signed_in_visit,
)
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, make_eligible, today, world_of

PASSWORD = "inbox-pages-2026"


@dataclass
class Inbox:
    world: World
    url: str
    approved: int
    returned: int


def _apply(world: World) -> int:
    body = {
        "title": "Inbox study",
        "reason": "research",
        "type": "dataset",
        "datasets": ["ib_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=30)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        return int(ok(user.post("/v1/applications", json=body), 201)["id"])


@pytest.fixture(scope="module")
def inbox(live_server: LiveServer, accounts: Accounts) -> Inbox:
    world = world_of(live_server, accounts)
    with world.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table(20)), metadata("ib_cond")), 201)
    with world.client("admin") as admin:
        for who in ("user", "reviewer"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    make_eligible(world, "user")
    approved, returned = _apply(world), _apply(world)
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{approved}/form-review", json={"outcome": "pass"}))
        back = {"outcome": "return", "reason": "the scenario is missing"}
        ok(authority.post(f"/v1/applications/{returned}/form-review", json=back))
    with world.client("provider") as provider:
        decision = {"outcome": "approve", "grant_budget": 1}
        ok(provider.post(f"/v1/applications/{approved}/decision", json=decision))
    return Inbox(world, live_server.url, approved, returned)


def _signed_in(browser: Browser, inbox: Inbox, who: str, width: str = "laptop") -> Visit:
    return signed_in_visit(browser, inbox.url, who, PASSWORD, width)


@pytest.fixture
def researcher(chromium: Browser, inbox: Inbox) -> Iterator[Page]:
    visit = _signed_in(chromium, inbox, "user")
    yield visit.page
    visit.context.close()


def _notification_id(inbox: Inbox, key: str, subject: int) -> int:
    with inbox.world.client("user") as user:
        page = ok(user.get("/v1/notifications", params={"limit": 200}))
    (found,) = [n for n in page["data"] if n["key"] == key and n["subject"]["id"] == str(subject)]
    return int(found["id"])


def test_the_inbox_lists_marks_read_and_counts_unread(researcher: Page, inbox: Inbox) -> None:
    page = researcher
    page.goto("/console/inbox?lang=en")
    nav_link = page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Inbox"
    )
    expect(nav_link).to_contain_text("2 unread")
    approved = _notification_id(inbox, "application.approved", inbox.approved)
    returned = _notification_id(inbox, "application.returned", inbox.returned)
    row = page.locator(f"#notification-{approved}")
    expect(row).to_contain_text(f"Application {inbox.approved} approved")
    expect(row.get_by_role("link")).to_have_attribute(
        "href", f"/console/applications/{inbox.approved}"
    )
    expect(page.locator(f"#notification-{returned}")).to_contain_text("returned for changes")
    expect(page.locator("#notification-" + str(returned))).not_to_contain_text("scenario")
    row.get_by_role("button", name="Mark read").click()
    expect(page.locator("#inbox-done")).to_have_text("Marked read.")
    expect(nav_link).to_contain_text("1 unread")
    page.goto("/console/inbox?unread=true&lang=en")
    expect(page.locator(f"#notification-{approved}")).to_have_count(0)
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#inbox-none")).to_be_visible()
    expect(nav_link.locator(".nav-count")).to_have_count(0)
    page.goto("/console/inbox?lang=zh")
    expect(page.locator(f"#notification-{approved}")).to_contain_text(
        f"申请 {inbox.approved} 已获批准"
    )


def test_preferences_are_saved_and_a_bad_language_changes_nothing(
    researcher: Page, inbox: Inbox
) -> None:
    page = researcher
    page.goto("/console/inbox?lang=en")
    page.get_by_label("Notification language (e-mail)").select_option("en")
    page.get_by_label("Decisions").uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#inbox-done")).to_have_text("Preferences saved.")
    with inbox.world.client("user") as user:
        prefs = ok(user.get("/v1/notifications/preferences"))
    assert prefs["language"] == "en" and prefs["email"]["decision"] is False
    assert prefs["email"]["returned"] is True
    csrf = page.locator("#inbox-prefs input[name=csrf_token]").get_attribute("value")
    bad = page.context.request.post(
        "/console/inbox/preferences",
        form={"csrf_token": csrf or "", "language": "fr", "email_decision": "on"},
    )
    assert bad.status == 422 and "is not one of: zh, en" in bad.text()
    with inbox.world.client("user") as user:
        assert ok(user.get("/v1/notifications/preferences")) == prefs


def test_another_accounts_notification_and_a_forged_form_change_nothing(
    chromium: Browser, inbox: Inbox
) -> None:
    with inbox.world.client("user") as user:
        theirs = ok(user.get("/v1/notifications", params={"limit": 1}))["data"][0]
    visit = _signed_in(chromium, inbox, "reviewer")
    try:
        visit.page.goto("/console/inbox?lang=en")
        csrf = visit.page.locator("#inbox-prefs input[name=csrf_token]").get_attribute("value")
        other = visit.context.request.post(
            f"/console/inbox/{theirs['id']}/read", form={"csrf_token": csrf or ""}
        )
        assert other.status == 404
        forged = visit.context.request.post("/console/inbox/read-all", form={})
        assert forged.status == 403
    finally:
        visit.context.close()
    with inbox.world.client("user") as user:
        again = [n for n in ok(user.get("/v1/notifications"))["data"] if n["id"] == theirs["id"]]
    assert again[0]["read_at"] == theirs["read_at"]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_inbox_passes_axe(chromium: Browser, inbox: Inbox, width: str) -> None:
    visit = _signed_in(chromium, inbox, "user", width)
    try:
        for lang in ("zh", "en"):
            visit.page.goto(f"/console/inbox?lang={lang}")
            assert axe_violations(visit.page) == []
            assert horizontal_overflow(visit.page) <= 0
    finally:
        visit.context.close()
