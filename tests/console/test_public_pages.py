"""The console's public pages in a real Chromium against the live server: the catalog
searched and filtered, a bad filter with its message, a dataset's page, the language
switch, a refused page, the offline API page, keyboard use, both widths and axe-core.

The datasets are registered over the API by the providers; the visitor's browser never
signs in. Screenshots of every main view are saved under ``var/screenshots/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sandbox.clock import utc_now
from sandbox.store.db import transaction
from sandbox.store.models.catalog import DatasetRow, DatasetVersionRow
from tests.support.browser import (
    WIDTHS,
    Visit,
    axe_violations,
    horizontal_overflow,
    open_visit,
    screenshot,
)
from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer

HEALTH = "Health Bureau"
TRANSPORT = "Transport Bureau"


@dataclass
class Catalog:
    server: LiveServer
    url: str


@pytest.fixture(scope="module")
def catalog(live_server: LiveServer, accounts: Accounts) -> Catalog:
    """Four datasets of two providers; ``cw_buses`` is overdue for its monthly update."""
    with live_server.client(accounts["provider"].token) as provider:
        for name, attribute, title in (
            ("cw_clinics", "conditional", "Clinic visits by district"),
            ("cw_parks", "unconditional", "Park opening hours"),
            ("cw_registry", "closed", "Civil registry"),
        ):
            body = metadata(name, attribute, title=title, description=f"{title} (tests)")
            ok(register(provider, parquet_bytes(people_table()), body), 201)
    with live_server.client(accounts["other_provider"].token) as other:
        body = metadata(
            "cw_buses", "unconditional", title="Bus punctuality", update_frequency="monthly"
        )
        ok(register(other, parquet_bytes(people_table(12)), body), 201)
    with live_server.client(accounts["user"].token) as user:
        product = {
            "title": "Park visits digest",
            "description": "monthly digest",
            "sources": [{"dataset": "cw_parks"}],
            "payload": {"n": 1},
        }
        ok(user.post("/v1/data-products", json=product), 201)
    _backdate(live_server, "cw_buses", days=45)
    return Catalog(live_server, live_server.url)


def _backdate(server: LiveServer, name: str, days: int) -> None:
    """Make a dataset's newest version older than its update frequency allows (stale)."""
    platform = server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            dataset_id = session.execute(
                select(DatasetRow.id).where(DatasetRow.name == name)
            ).scalar_one()
            for version in session.execute(
                select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset_id)
            ).scalars():
                version.created_at = utc_now() - timedelta(days=days)
    finally:
        platform.close()


@pytest.fixture
def visit(chromium: Browser, catalog: Catalog):
    opened = open_visit(chromium, catalog.url)
    yield opened
    opened.context.close()


def _titles(page: Page) -> list[str]:
    return [title.strip() for title in page.locator(".cards h3").all_inner_texts()]


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_catalog_is_browsed_and_filtered_without_signing_in(
    visit: Visit, catalog: Catalog
) -> None:
    page = visit.page
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert urlsplit(page.url).path == "/console/catalog"
    # Chinese by default
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator("h1")).to_have_text("数据目录")
    expect(page.locator(".who")).to_have_text("访客（未登录）")
    assert set(_titles(page)) >= {
        "Clinic visits by district",
        "Park opening hours",
        "Civil registry",
        "Bus punctuality",
    }

    page.get_by_label("开放属性").select_option("conditional")
    page.get_by_role("button", name="筛选").click()
    assert _query(page)["attribute"] == ["conditional"]
    assert _titles(page) == ["Clinic visits by district"]
    expect(page.get_by_label("开放属性")).to_have_value("conditional")

    page.get_by_role("link", name="清除筛选").click()
    page.get_by_label("提供单位").select_option(TRANSPORT)
    page.get_by_label("更新时效").select_option("stale")
    page.get_by_role("button", name="筛选").click()
    assert _titles(page) == ["Bus punctuality"]
    expect(page.locator(".cards .badge--stale")).to_have_text("未按期更新")

    page.goto("/console/catalog?staleness=fresh&frequency=monthly&q=park")
    assert _titles(page) == ["Park opening hours"]
    page.goto("/console/catalog?q=" + "clinic district")
    assert _titles(page) == ["Clinic visits by district"]
    page.goto("/console/catalog?updated_within=30")
    assert "Bus punctuality" not in _titles(page) and "Park opening hours" in _titles(page)
    page.goto("/console/catalog?q=nothing-matches-this")
    expect(page.locator(".empty")).to_have_text("没有符合条件的数据集。")
    assert visit.foreign_requests(catalog.url) == []


def test_a_bad_filter_is_named_next_to_its_field(visit: Visit) -> None:
    page = visit.page
    page.goto("/console/catalog")
    page.get_by_label("最近更新（天）").fill("abc")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="筛选").click()
    assert navigation.value is not None and navigation.value.status == 422
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("“abc”不是 1 到 3650 之间的整数")
    field = page.get_by_label("最近更新（天）")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("abc")
    expect(page.locator("#updated_within-error")).to_have_text("“abc”不是 1 到 3650 之间的整数")
    # the other filters still apply, and the summary's link leads to the field
    assert len(_titles(page)) >= 4
    summary.get_by_role("link").click()
    expect(field).to_be_focused()
    for width in WIDTHS:
        page.set_viewport_size(WIDTHS[width])
        screenshot(page, "catalog-bad-filter", width)

    response = page.goto("/console/catalog?attribute=secret&provider=Nobody&lang=en")
    assert response is not None and response.status == 422
    expect(page.locator("#attribute-error")).to_have_text(
        "\u201csecret\u201d is not one of the choices"
    )
    expect(page.locator("#provider-error")).to_have_text(
        "\u201cNobody\u201d is not one of the choices"
    )


def test_a_dataset_page_shows_what_the_api_shows_a_visitor(visit: Visit, catalog: Catalog) -> None:
    page = visit.page
    page.goto("/console/catalog")
    page.get_by_role("link", name="Clinic visits by district").click()
    assert urlsplit(page.url).path == "/console/datasets/cw_clinics"
    expect(page.locator("h1")).to_have_text("Clinic visits by district")
    expect(page.locator(".attribute-explain")).to_contain_text("原始记录不向任何人提供")
    dictionary = page.locator("#dictionary")
    for column in ("pid", "district", "age", "income"):
        expect(dictionary.locator("th[scope=row]", has_text=column)).to_have_count(1)
    expect(page.locator("#quality")).to_be_visible()
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    # a conditional dataset's preview is mock rows, never its own
    expect(page.locator(".preview-kind")).to_have_attribute("data-preview-kind", "mock")
    expect(page.locator("#preview tbody tr")).to_have_count(10)
    assert SECRET_MARKER not in page.content()

    page.goto("/console/datasets/cw_parks")
    expect(page.locator(".preview-kind")).to_have_attribute("data-preview-kind", "real")
    expect(page.locator("#preview")).to_contain_text(SECRET_MARKER)  # open data: its real rows
    expect(page.locator(".products")).to_contain_text("Park visits digest")

    page.goto("/console/datasets/cw_registry")
    expect(page.locator(".notice")).to_contain_text("此数据不予开放")
    expect(page.locator("#dictionary")).to_have_count(0)
    expect(page.locator("#preview")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("Personal Information Protection Law art. 28")

    response = page.goto("/console/datasets/cw_missing")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("未找到")
    assert visit.foreign_requests(catalog.url) == []


def test_the_language_switch_is_kept_from_page_to_page(visit: Visit) -> None:
    page = visit.page
    page.goto("/console/catalog?attribute=unconditional")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("h1")).to_have_text("Data catalog")
    assert _query(page)["attribute"] == ["unconditional"]  # back on the same page
    expect(page.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    page.get_by_role("link", name="Park opening hours").click()
    expect(page.get_by_role("heading", name="Data dictionary")).to_be_visible()
    expect(page.locator(".attribute-explain")).to_have_text(
        "Anyone may browse, query and download this data."
    )
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", name="数据字典")).to_be_visible()
    page.goto("/console/catalog?lang=en")
    page.goto("/console/sign-in")
    expect(page.locator("h1")).to_have_text("Sign in")


def test_a_signed_out_visitor_is_refused_a_protected_page(visit: Visit) -> None:
    page = visit.page
    response = page.goto("/console/account")
    assert response is not None and response.status == 401
    expect(page.locator("h1")).to_have_text("需要登录")
    expect(page.locator(".error-page__message")).to_contain_text("this page needs you to sign in")
    for width in WIDTHS:
        page.set_viewport_size(WIDTHS[width])
        screenshot(page, "refused-signed-out", width)
    page.locator(".error-page").get_by_role("link", name="登录").click()
    assert urlsplit(page.url).path == "/console/sign-in"
    expect(page.locator("input[name=next]")).to_have_value("/console/account")
    expect(page.get_by_label("用户名")).to_have_attribute("autocomplete", "username")
    expect(page.get_by_label("密码")).to_have_attribute("type", "password")


def test_the_api_page_loads_swagger_ui_from_the_server(visit: Visit, catalog: Catalog) -> None:
    page = visit.page
    page.goto("/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Data sandbox", timeout=30_000)
    # Swagger UI lays out 140-odd paths after the title: on a loaded machine, seconds.
    expect(page.locator(".opblock-tag-section").first).to_be_visible(timeout=30_000)
    assert visit.foreign_requests(catalog.url) == []
    assert any(
        url.endswith("/console/vendor/swagger-ui/swagger-ui-bundle.js") for url in visit.requested
    )
    screenshot(page, "api-docs", visit.width)


def test_the_keyboard_reaches_the_content_first(visit: Visit) -> None:
    page = visit.page
    page.goto("/console/catalog")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # the filters are reachable and usable with the keyboard alone
    page.get_by_label("关键词").focus()
    page.keyboard.type("bus")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _titles(page) == ["Bus punctuality"]


def test_the_code_editor_and_chart_components_work(visit: Visit) -> None:
    """The components later pages build on: CodeMirror 6 over a textarea (its text kept in
    the form field) and Chart.js, both from the server's npm build."""
    page = visit.page
    page.goto("/console/sign-in")
    page.evaluate(
        """() => {
        const label = document.createElement('label');
        label.htmlFor = 'src'; label.textContent = 'Model';
        const area = document.createElement('textarea');
        area.id = 'src'; area.name = 'source'; area.dataset.codeEditor = 'python';
        area.value = 'def run(ctx):\\n    return 1\\n';
        const canvas = document.createElement('canvas'); canvas.id = 'chart';
        document.querySelector('main').append(label, area, canvas);
    }"""
    )
    page.add_script_tag(url="/console/vendor/editor.js")
    page.add_script_tag(url="/console/vendor/chart.umd.min.js")
    editor = page.locator(".cm-editor")
    expect(editor).to_have_count(1)
    expect(editor.locator(".cm-content")).to_contain_text("def run(ctx):")
    # syntax highlighting: the keyword is in a span of its own
    assert page.locator(".cm-content span", has_text="def").count() >= 1
    editor.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# edited")
    assert page.locator("#src").input_value().endswith("# edited")
    drawn = page.evaluate(
        """() => { const c = new Chart(document.getElementById('chart'),
            {type: 'bar', data: {labels: ['a', 'b'], datasets: [{label: 'n', data: [1, 2]}]},
             options: {animation: false}});
          return c.data.datasets[0].data.length; }"""
    )
    assert drawn == 2


MAIN_VIEWS = (
    ("catalog", "/console/catalog"),
    ("catalog-filtered", "/console/catalog?attribute=unconditional&lang=en"),
    ("dataset-conditional", "/console/datasets/cw_clinics"),
    ("dataset-open", "/console/datasets/cw_parks?lang=en"),
    ("dataset-closed", "/console/datasets/cw_registry"),
    ("sign-in", "/console/sign-in"),
    ("not-found", "/console/datasets/cw_missing"),
)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_main_views_pass_axe_and_fit_both_widths(
    chromium: Browser, catalog: Catalog, width: str
) -> None:
    visit = open_visit(chromium, catalog.url, width)
    try:
        problems = {}
        for name, path in MAIN_VIEWS:
            visit.page.goto(path)
            screenshot(visit.page, name, width)
            violations = axe_violations(visit.page)
            if violations:
                problems[name] = violations
            overflow = horizontal_overflow(visit.page)
            assert overflow <= 0, f"{name} is {overflow}px wider than {width}"
        assert not problems, problems
        assert visit.foreign_requests(catalog.url) == []
    finally:
        visit.context.close()
