"""Dataset ratings and comments and their moderation, in a real Chromium against the live
server (Lianyungang art. 18; Chengdu art. 35; Wuxi art. 26).

A researcher rates a dataset from its public page and changes the rating, then comments:
the comment waits for the provider's review, visible to its author only, until the provider
approves it from the moderation queue; a second comment hidden with a reason never shows to
anyone but its author. Bad input (stars 0 or 6, an empty comment, hiding without a reason)
is named beside its form and changes nothing; a form without its CSRF token is refused, a
visitor cannot post, another organisation's provider cannot moderate, a comment moderated
meanwhile is refused. Approved comments page ten at a time, newest first. The pages pass
axe at laptop and phone widths without overflowing, in both languages, and the statistics
dashboard shows the ratings and views the test made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    WIDTHS,
    axe_violations,
    horizontal_overflow,
    screenshot,
    signed_in_visit,
)
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import World, add_users, world_of

pytestmark = pytest.mark.server

PASSWORD = "feedback-pages-2026"
DATASET = "fb_parks"
PAGING = "fb_paged"
DRAFT = "fb_draft"
PAGED_COMMENTS = 12


@dataclass
class Setup:
    world: World
    url: str


@pytest.fixture(scope="module")
def setup(live_server: LiveServer, accounts: Accounts) -> Setup:
    """Two published datasets of the Health Bureau (one for the paging test), one still
    waiting for the authority's review, and a second researcher ``reader``.
    """
    world = world_of(live_server, accounts)
    add_users(world, "reader")
    with world.client("provider") as provider:
        for name in (DATASET, PAGING):
            ok(register(provider, parquet_bytes(people_table()), metadata(name)), 201)
        draft = register(provider, parquet_bytes(people_table()), metadata(DRAFT), publish=False)
        ok(draft, 201)
    with world.client("admin") as admin:
        for who in ("provider", "other_provider", "user", "reader", "authority"):
            ok(admin.put(f"/v1/users/{world.ids[who]}/password", json={"new_password": PASSWORD}))
    return Setup(world, live_server.url)


@contextmanager
def _session(setup: Setup, who: str) -> Iterator[httpx.Client]:
    """A client holding ``who``'s console session cookie (no redirects followed)."""
    with httpx.Client(base_url=setup.url, timeout=60, follow_redirects=False) as client:
        ok(client.post("/v1/sessions", json={"username": who, "password": PASSWORD}), 201)
        yield client


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def _feedback(setup: Setup, who: str, name: str = DATASET) -> dict[str, Any]:
    with setup.world.client(who) as client:
        found: dict[str, Any] = ok(client.get(f"/v1/datasets/{name}/feedback"))
    return found


def _queue(setup: Setup, who: str = "provider", status: str = "pending") -> list[dict[str, Any]]:
    with setup.world.client(who) as client:
        found: list[dict[str, Any]] = ok(
            client.get("/v1/comments/moderation", params={"status": status})
        )
    return found


def _audited(setup: Setup, action: str, object_id: str) -> list[dict[str, Any]]:
    """The audit entries of ``action`` on ``object_id``, oldest first."""
    with setup.world.client("auditor") as auditor:
        params: dict[str, str | int] = {"action": action, "object_id": object_id, "limit": 1000}
        rows = ok(auditor.get("/v1/audit", params=params))["data"]
    found = [e for e in rows if e["action"] == action and str(e["object_id"]) == object_id]
    return sorted(found, key=lambda e: int(e["seq"]))


@pytest.fixture
def researcher(chromium: Browser, setup: Setup) -> Iterator[Page]:
    visit = signed_in_visit(chromium, setup.url, "user", PASSWORD)
    yield visit.page
    visit.context.close()


@pytest.fixture
def provider(chromium: Browser, setup: Setup) -> Iterator[Page]:
    visit = signed_in_visit(chromium, setup.url, "provider", PASSWORD)
    yield visit.page
    visit.context.close()


def test_a_visitor_sees_the_figures_and_a_sign_in_link_but_cannot_post(setup: Setup) -> None:
    with httpx.Client(base_url=setup.url, timeout=60, follow_redirects=False) as visitor:
        page = visitor.get(f"/console/datasets/{DATASET}", params={"lang": "en"})
        assert page.status_code == 200, page.text
        assert 'id="feedback-title"' in page.text and "Not rated yet" in page.text
        assert "Sign in to rate and comment" in page.text
        assert 'id="rating-form"' not in page.text and 'id="comment-form"' not in page.text
        # a visitor's own double-submit token (the report form's) is still not an account
        token = _token(visitor.get("/console/report").text)
        for path, body in (("rating", {"stars": "5"}), ("comments", {"text": "a visitor"})):
            refused = visitor.post(
                f"/console/datasets/{DATASET}/{path}", data={"csrf_token": token, **body}
            )
            assert refused.status_code == 401, (path, refused.status_code)
    figures = _feedback(setup, "provider")
    assert figures["ratings"] == 0 and figures["comments"] == []
    assert _queue(setup) == []


def test_the_researcher_rates_comments_and_the_provider_moderates(
    researcher: Page, provider: Page, setup: Setup
) -> None:
    page = researcher
    page.goto(f"/console/datasets/{DATASET}?lang=en")
    expect(page.locator("#feedback-average")).to_have_text("Not rated yet")
    expect(page.locator("#my-rating")).to_have_text("You have not rated this dataset.")
    page.get_by_label("4 stars").check()
    page.get_by_role("button", name="Save my rating").click()
    expect(page.locator("#feedback-done")).to_have_text("Your rating is saved.")
    expect(page.locator("#my-rating")).to_have_text("Your current rating: 4 of 5")
    expect(page.get_by_label("4 stars")).to_be_checked()
    page.get_by_label("2 stars").check()  # a rating changes, it is not added
    page.get_by_role("button", name="Save my rating").click()
    expect(page.locator("#my-rating")).to_have_text("Your current rating: 2 of 5")
    expect(page.locator("#feedback-average")).to_have_text("2.00 of 5")
    expect(page.locator("#feedback-count")).to_have_text("1")

    page.get_by_label("Your comment").fill("Clear dictionary; <b>monthly</b> updates help.")
    page.get_by_role("button", name="Send the comment").click()
    expect(page.locator("#feedback-done")).to_contain_text("waits for the provider's review")
    waiting = page.locator("#own-comments tbody tr").first
    expect(waiting).to_contain_text("Clear dictionary; <b>monthly</b> updates help.")
    expect(waiting).to_contain_text("Waiting for the provider's review")
    expect(page.locator("#comments-none")).to_be_visible()  # not published yet
    comment_id = int(_queue(setup)[0]["id"])

    # nobody else sees it before the provider's approval
    with _session(setup, "reader") as reader:
        html = reader.get(f"/console/datasets/{DATASET}", params={"lang": "en"}).text
    assert "Clear dictionary" not in html and 'id="own-comments"' not in html
    with httpx.Client(base_url=setup.url, timeout=60) as visitor:
        assert "Clear dictionary" not in visitor.get(f"/console/datasets/{DATASET}").text

    # the provider's queue: hiding without a reason is refused, nothing changes
    queue = provider
    queue.goto("/console/provider/comments?lang=en")
    expect(queue.get_by_role("link", name="Comment moderation")).to_contain_text("1 waiting")
    item = queue.locator(f"#queue-comment-{comment_id}")
    expect(item).to_contain_text("Clear dictionary; <b>monthly</b> updates help.")
    expect(item).to_contain_text("user")
    expect(item).to_contain_text(DATASET)
    with queue.expect_response(lambda r: r.request.method == "POST") as answer:
        item.get_by_role("button", name="Hide").click()
    assert answer.value.status == 422
    expect(queue.locator("#moderation-error")).to_contain_text("the reason must not be empty")
    expect(queue.locator(f"#reason-{comment_id}")).to_have_attribute("aria-invalid", "true")
    assert [c["id"] for c in _queue(setup)] == [comment_id]
    item = queue.locator(f"#queue-comment-{comment_id}")
    item.get_by_role("button", name="Approve and publish").click()
    expect(queue.locator("#moderation-done")).to_have_text(
        f"Comment #{comment_id} is approved and published."
    )
    expect(queue.locator("#queue-none")).to_be_visible()

    # published: everyone sees it; its author no longer sees it as waiting
    with httpx.Client(base_url=setup.url, timeout=60) as visitor:
        shown = visitor.get(f"/console/datasets/{DATASET}", params={"lang": "en"}).text
    assert "Clear dictionary; &lt;b&gt;monthly&lt;/b&gt; updates help." in shown
    assert "<b>monthly</b>" not in shown  # escaped, never markup
    page.goto(f"/console/datasets/{DATASET}?lang=en")
    expect(page.locator(f"#comment-{comment_id}")).to_contain_text("Clear dictionary")
    expect(page.locator("#own-comments")).to_have_count(0)

    # a second comment, hidden with a reason: only its author ever sees it, with the reason
    page.get_by_label("Your comment").fill("Call 555-0100 for the raw rows")
    page.get_by_role("button", name="Send the comment").click()
    expect(page.locator("#own-comments")).to_contain_text("Call 555-0100")
    queue.goto("/console/provider/comments?lang=en")
    hidden_id = int(_queue(setup)[0]["id"])
    item = queue.locator(f"#queue-comment-{hidden_id}")
    item.get_by_label("Reason for hiding").fill("contact details are not allowed")
    item.get_by_role("button", name="Hide").click()
    expect(queue.locator("#moderation-done")).to_have_text(f"Comment #{hidden_id} is hidden.")
    queue.goto("/console/provider/comments?status=hidden&lang=en")
    expect(queue.locator(f"#queue-comment-{hidden_id}")).to_contain_text(
        "contact details are not allowed"
    )
    page.goto(f"/console/datasets/{DATASET}?lang=en")
    mine = page.locator(f"#own-comment-{hidden_id}")
    expect(mine).to_contain_text("Hidden by the provider")
    expect(mine).to_contain_text("Reason: contact details are not allowed")
    expect(page.locator("#comments")).not_to_contain_text("555-0100")
    for who in ("reader", "other_provider"):
        with _session(setup, who) as other:
            html = other.get(f"/console/datasets/{DATASET}").text
        assert "555-0100" not in html and "contact details are not allowed" not in html, who
    with httpx.Client(base_url=setup.url, timeout=60) as visitor:
        assert "555-0100" not in visitor.get(f"/console/datasets/{DATASET}").text
    # audited as over the API: both ratings, both comments, one decision each (the refused
    # hide left no entry)
    rated = _audited(setup, "dataset.rated", DATASET)
    assert [(e["actor"], e["detail"]["stars"]) for e in rated] == [("user", 4), ("user", 2)]
    for made in (comment_id, hidden_id):
        assert len(_audited(setup, "dataset.comment_submitted", str(made))) == 1
        decisions = _audited(setup, "dataset.comment_moderated", str(made))
        assert [(e["actor"], e["detail"]["outcome"]) for e in decisions] == [
            ("provider", "approve" if made == comment_id else "hide")
        ]


def test_bad_input_is_named_and_changes_nothing(setup: Setup) -> None:
    with _session(setup, "reader") as reader:
        page = reader.get(f"/console/datasets/{DATASET}", params={"lang": "en"})
        token = _token(page.text)
        rated = reader.post(
            f"/console/datasets/{DATASET}/rating", data={"csrf_token": token, "stars": "5"}
        )
        assert rated.status_code == 303, rated.text
        before = _feedback(setup, "reader")
        for stars in ("0", "6", "three", ""):
            refused = reader.post(
                f"/console/datasets/{DATASET}/rating",
                data={"csrf_token": token, "stars": stars},
                params={"lang": "en"},
            )
            assert refused.status_code == 422, stars
            assert "stars must be a whole number from 1 to 5" in refused.text, stars
            assert 'id="rating-error"' in refused.text
        empty = reader.post(
            f"/console/datasets/{DATASET}/comments",
            data={"csrf_token": token, "text": "   "},
            params={"lang": "en"},
        )
        assert empty.status_code == 422 and "the comment must not be empty" in empty.text
        assert 'id="comment-error"' in empty.text and 'aria-invalid="true"' in empty.text
        # without its CSRF token, or with another's: refused before anything is read
        for fields in ({"stars": "1"}, {"stars": "1", "csrf_token": "forged"}):
            forged = reader.post(f"/console/datasets/{DATASET}/rating", data=fields)
            assert forged.status_code == 403, fields
        no_token = reader.post(f"/console/datasets/{DATASET}/comments", data={"text": "hello"})
        assert no_token.status_code == 403
        # a dataset the authority has not passed is unknown here as over the API
        unknown = reader.post(
            f"/console/datasets/{DRAFT}/rating", data={"csrf_token": token, "stars": "3"}
        )
        assert unknown.status_code == 404
        assert reader.get(f"/console/datasets/{DRAFT}").status_code == 404
    after = _feedback(setup, "reader")
    assert after["my_rating"] == 5 and after["ratings"] == before["ratings"]
    assert after["average_rating"] == before["average_rating"]
    assert after["my_comments"] == before["my_comments"] == []
    with setup.world.client("reader") as api:
        assert api.get(f"/v1/datasets/{DRAFT}/feedback").status_code == 404
        assert api.put(f"/v1/datasets/{DRAFT}/rating", json={"stars": 3}).status_code == 404
    assert _feedback(setup, "provider", DRAFT)["ratings"] == 0  # its provider sees it


def test_only_the_datasets_provider_moderates(setup: Setup) -> None:
    with setup.world.client("reader") as reader:
        made = ok(
            reader.post(f"/v1/datasets/{DATASET}/comments", json={"text": "Useful for parks"}),
            201,
        )
    comment_id = int(made["id"])
    with _session(setup, "other_provider") as other:
        listed = other.get("/console/provider/comments", params={"lang": "en"})
        assert listed.status_code == 200 and "Useful for parks" not in listed.text
        token = _token(listed.text)
        refused = other.post(
            f"/console/provider/comments/{comment_id}",
            data={"csrf_token": token, "outcome": "approve", "expected": "pending"},
            params={"lang": "en"},
        )
        assert refused.status_code == 404
        assert f"comment {comment_id} does not exist" in refused.text
        assert 'id="moderation-error"' in refused.text
    with _session(setup, "reader") as researcher:
        assert researcher.get("/console/provider/comments").status_code == 403
        token = _token(researcher.get(f"/console/datasets/{DATASET}").text)
        forbidden = researcher.post(
            f"/console/provider/comments/{comment_id}",
            data={"csrf_token": token, "outcome": "approve", "expected": "pending"},
        )
        assert forbidden.status_code == 403
    with httpx.Client(base_url=setup.url, timeout=60) as visitor:
        assert visitor.get("/console/provider/comments").status_code == 401
    assert comment_id in [c["id"] for c in _queue(setup)]  # still waiting

    with _session(setup, "provider") as provider:
        token = _token(provider.get("/console/provider/comments").text)
        no_csrf = provider.post(
            f"/console/provider/comments/{comment_id}",
            data={"outcome": "approve", "expected": "pending"},
        )
        assert no_csrf.status_code == 403
        assert comment_id in [c["id"] for c in _queue(setup)]
        bad = provider.post(
            f"/console/provider/comments/{comment_id}",
            data={"csrf_token": token, "outcome": "publish", "expected": "pending"},
            params={"lang": "en"},
        )
        assert bad.status_code == 422 and "outcome must be one of approve, hide" in bad.text
        done = provider.post(
            f"/console/provider/comments/{comment_id}",
            data={"csrf_token": token, "outcome": "approve", "expected": "pending"},
        )
        assert done.status_code == 303
        # a second provider's page still showed it waiting: its hide is refused, not applied
        late = provider.post(
            f"/console/provider/comments/{comment_id}",
            data={"csrf_token": token, "outcome": "hide", "reason": "spam", "expected": "pending"},
            params={"lang": "en"},
        )
        assert late.status_code == 409
        assert "already approved: it was moderated meanwhile" in late.text
    approved = _queue(setup, status="approved")
    assert [c["reason"] for c in approved if c["id"] == comment_id] == [""]


def test_approved_comments_page_newest_first(researcher: Page, setup: Setup) -> None:
    with setup.world.client("reader") as reader:
        ids = [
            int(
                ok(
                    reader.post(
                        f"/v1/datasets/{PAGING}/comments", json={"text": f"Paged note {n:02d}"}
                    ),
                    201,
                )["id"]
            )
            for n in range(PAGED_COMMENTS)
        ]
    with setup.world.client("provider") as provider:
        for comment_id in ids:
            ok(provider.post(f"/v1/comments/{comment_id}/moderation", json={"outcome": "approve"}))
    page = researcher
    page.goto(f"/console/datasets/{PAGING}?lang=en")
    items = page.locator("#comments > li")
    expect(items).to_have_count(10)
    expect(items.first).to_contain_text(f"Paged note {PAGED_COMMENTS - 1:02d}")
    expect(page.locator("#comments-count")).to_contain_text(f"({PAGED_COMMENTS}, newest first)")
    expect(page.locator("#comments-pager")).to_contain_text("Page 1 of 2")
    page.locator("#comments-older").click()
    expect(items).to_have_count(PAGED_COMMENTS - 10)
    expect(items.last).to_contain_text("Paged note 00")
    expect(page.locator("#comments-pager")).to_contain_text("Page 2 of 2")
    with page.expect_response(lambda r: "comments_page=0" in r.url) as answer:
        page.goto(f"/console/datasets/{PAGING}?comments_page=0")
    assert answer.value.status == 422


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_and_fit_both_widths_in_both_languages(
    chromium: Browser, setup: Setup, width: str
) -> None:
    with setup.world.client("user") as user:
        ok(user.post(f"/v1/datasets/{PAGING}/comments", json={"text": "Waiting " * 30}), 201)
    checks = (
        ("user", f"/console/datasets/{DATASET}", "#feedback-title"),
        ("user", f"/console/datasets/{PAGING}", "#own-comments"),
        ("provider", "/console/provider/comments", "#queue-count"),
        ("provider", "/console/provider/comments?status=approved", "#moderation-queue"),
    )
    for who in ("user", "provider"):
        visit = signed_in_visit(chromium, setup.url, who, PASSWORD, width)
        try:
            for owner, path, landmark in checks:
                if owner != who:
                    continue
                for lang, sample in (("zh", "评"), ("en", "omment")):
                    visit.page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
                    expect(visit.page.locator(landmark)).to_be_visible()
                    assert sample in visit.page.locator("main").inner_text(), (path, lang)
                    assert "feedback." not in visit.page.content(), (path, lang)
                    assert axe_violations(visit.page) == [], (path, lang, width)
                    overflow = horizontal_overflow(visit.page)
                    assert overflow <= 0, f"{path} overflows by {overflow}px at {width}"
                screenshot(visit.page, f"feedback-{owner}-{landmark[1:]}", width)
            assert visit.foreign_requests(setup.url) == []
        finally:
            visit.context.close()
    # a refused form's page passes too
    visit = signed_in_visit(chromium, setup.url, "provider", PASSWORD, width)
    try:
        visit.page.goto("/console/provider/comments?lang=en")
        item = visit.page.locator("#moderation-queue > li").first
        item.get_by_role("button", name="Hide").click()
        expect(visit.page.locator("#moderation-error")).to_be_visible()
        assert axe_violations(visit.page) == []
        assert horizontal_overflow(visit.page) <= 0
        screenshot(visit.page, "feedback-queue-refused", width)
    finally:
        visit.context.close()


def test_the_dashboard_shows_the_usage_the_test_made(chromium: Browser, setup: Setup) -> None:
    with setup.world.client("authority") as authority:
        stats = ok(authority.get("/v1/stats"))
    usage = {row["dataset"]: row for row in stats["dataset_usage"]}
    assert usage[DATASET]["ratings"] == 2 and usage[DATASET]["views"] > 0
    visit = signed_in_visit(chromium, setup.url, "authority", PASSWORD)
    try:
        page = visit.page
        page.goto("/console/dashboard?lang=en")
        row = page.locator(f"#usage-{DATASET}")
        cells = row.locator("td").all_inner_texts()
        figures = usage[DATASET]
        assert cells[0] == str(figures["views"]) and cells[4] == "2"
        assert cells[5] == f"{figures['average_rating']:.2f}"
        expect(page.locator("#usage-table caption")).to_contain_text("per dataset")
        expect(page.locator("#usage-table thead th").first).to_have_attribute("scope", "col")
        expect(page.locator(f"#usage-{DATASET} th")).to_have_attribute("scope", "row")
    finally:
        visit.context.close()
