"""The public opening-plan and data-product pages over HTTP: a visitor reads the published
plans with each entry's progress and the products with their sources and dates, in both
languages; drafts and payloads never appear.
"""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from playwright.sync_api import Browser

from tests.support.browser import WIDTHS, axe_violations, horizontal_overflow, open_visit
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer
from tests.support.world import today

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def published(live_server: LiveServer, accounts: Accounts) -> dict[str, int]:
    """A published plan (one entry met, one pending), a draft plan, and a product."""
    org = accounts["provider"].organisation_id
    year = today().year
    with live_server.client(accounts["provider"].token) as provider:
        ok(
            register(
                provider, parquet_bytes(people_table(20)), metadata("cp_open", "unconditional")
            ),
            201,
        )
        for name, due in (("cp_open", date(year, 12, 31)), ("cp_future", date(year, 12, 30))):
            plan = ok(
                provider.post(
                    "/v1/opening-plans/entries",
                    json={
                        "organisation_id": org,
                        "year": year,
                        "dataset": name,
                        "title": f"Planned {name}",
                        "open_attribute": "unconditional",
                        "due_on": due.isoformat(),
                    },
                ),
                201,
            )
        ok(provider.post(f"/v1/opening-plans/{plan['id']}/submit"))
        draft = ok(
            provider.post(
                "/v1/opening-plans/entries",
                json={
                    "organisation_id": org,
                    "year": year + 1,
                    "dataset": "cp_secret_draft",
                    "title": "Not public yet",
                    "open_attribute": "conditional",
                    "due_on": f"{year + 1}-06-01",
                },
            ),
            201,
        )
    with live_server.client(accounts["authority"].token) as authority:
        ok(authority.post(f"/v1/opening-plans/{plan['id']}/decision", json={"outcome": "publish"}))
    with live_server.client(accounts["user"].token) as user:
        product = ok(
            user.post(
                "/v1/data-products",
                json={
                    "title": "Ages by district",
                    "sources": [{"dataset": "cp_open"}],
                    "payload": {"hidden_figure": 987654},
                },
            ),
            201,
        )
    return {"plan": plan["id"], "draft": draft["id"], "product": product["id"]}


def test_a_visitor_reads_the_published_plans(
    live_server: LiveServer, published: dict[str, int]
) -> None:
    with live_server.client(None) as visitor:
        page = visitor.get("/console/opening-plans", params={"lang": "en"})
        zh = visitor.get("/console/opening-plans", params={"lang": "zh"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Health Bureau" in html and "Planned cp_future" in html
    assert "Opened on time" in html and "Pending" in html
    assert "cp_secret_draft" not in html and "Not public yet" not in html
    assert "公共数据开放清单" in zh.text and "已按期开放" in zh.text


def test_a_visitor_reads_the_products_without_their_payloads(
    live_server: LiveServer, published: dict[str, int]
) -> None:
    with live_server.client(None) as visitor:
        page = visitor.get("/console/data-products", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert "Ages by district" in page.text and "cp_open version 1" in page.text
    assert "987654" not in page.text and "hidden_figure" not in page.text


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_pages_pass_axe_and_fit_both_widths(
    chromium: Browser, live_server: LiveServer, published: dict[str, int], width: str
) -> None:
    visit = open_visit(chromium, live_server.url, width)
    try:
        for path in ("/console/opening-plans", "/console/data-products", "/console/report"):
            visit.page.goto(path)
            assert axe_violations(visit.page) == [], path
            assert horizontal_overflow(visit.page) <= 0, f"{path} overflows at {width}"
    finally:
        visit.context.close()


def _form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_a_visitor_reports_through_the_form(
    live_server: LiveServer, accounts: Accounts, published: dict[str, int]
) -> None:
    with httpx.Client(base_url=live_server.url, timeout=60) as browser:
        form = browser.get("/console/report", params={"lang": "en"})
        assert form.status_code == 200
        token = _form_token(form.text)
        fields = {"csrf_token": token, "kind": "misuse", "dataset": "cp_open"}
        missing = browser.post("/console/report", data={**fields, "description": "resold"})
        assert missing.status_code == 422 and "contact" in missing.text
        unknown = browser.post(
            "/console/report",
            data={**fields, "dataset": "cp_nope", "description": "x", "contact": "a@b.cn"},
        )
        assert unknown.status_code == 404
        filed = browser.post(
            "/console/report",
            data={**fields, "description": "rows resold online", "contact": "me@example.org"},
        )
        assert filed.status_code == 200 and "was sent; it is answered by" in filed.text
    with live_server.client(accounts["provider"].token) as provider:
        reports = ok(provider.get("/v1/public-reports"))
    found = [r for r in reports if r["description"] == "rows resold online"]
    assert len(found) == 1 and found[0]["contact"] == "me@example.org"
    assert found[0]["reporter"] is None
