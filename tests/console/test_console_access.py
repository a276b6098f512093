"""The console's access matrix: every console route with who may open it, over HTTP.

Every page is listed in :data:`PAGES` as public (a visitor gets it) or signed-in (a visitor
gets the 401 page, never the content); a new console route without a row fails
:func:`test_every_console_route_is_in_the_matrix`. A page that mirrors an API route checks
the same roles (api/console/auth.py's ``require_console_roles``).
"""

from __future__ import annotations

import httpx
import pytest

from api.console import PAGE_MODULES
from api.console.routing import ConsoleRoute
from tests.support.datafiles import metadata, parquet_bytes, people_table, register
from tests.support.http import ok
from tests.support.server import Accounts, LiveServer

PUBLIC = "public"
SIGNED_IN = "signed-in"
CSRF_FIRST = "csrf-first"

PAGES: dict[tuple[str, str], tuple[str, str]] = {
    # (method, route path): (who may open it, a concrete path to try)
    ("GET", "/"): (PUBLIC, "/"),
    ("GET", "/console"): (PUBLIC, "/console"),
    ("GET", "/console/"): (PUBLIC, "/console/"),
    ("GET", "/console/catalog"): (PUBLIC, "/console/catalog"),
    ("GET", "/console/opening-plans"): (PUBLIC, "/console/opening-plans"),
    ("GET", "/console/data-products"): (PUBLIC, "/console/data-products"),
    ("GET", "/console/plans"): (SIGNED_IN, "/console/plans"),
    ("POST", "/console/plans/entries"): (SIGNED_IN, "/console/plans/entries"),
    ("GET", "/console/plans/{plan_id}"): (SIGNED_IN, "/console/plans/1"),
    ("POST", "/console/plans/{plan_id}/entries/{entry_id}/remove"): (
        SIGNED_IN,
        "/console/plans/1/entries/1/remove",
    ),
    ("POST", "/console/plans/{plan_id}/submit"): (SIGNED_IN, "/console/plans/1/submit"),
    ("POST", "/console/plans/{plan_id}/decision"): (SIGNED_IN, "/console/plans/1/decision"),
    ("GET", "/console/law-changes"): (SIGNED_IN, "/console/law-changes"),
    ("POST", "/console/law-changes"): (SIGNED_IN, "/console/law-changes"),
    ("GET", "/console/law-changes/{change_id}"): (SIGNED_IN, "/console/law-changes/1"),
    ("GET", "/console/law-change-tasks/{task_id}"): (SIGNED_IN, "/console/law-change-tasks/1"),
    ("POST", "/console/law-change-tasks/{task_id}/close"): (
        SIGNED_IN,
        "/console/law-change-tasks/1/close",
    ),
    ("GET", "/console/public-reports"): (SIGNED_IN, "/console/public-reports"),
    ("GET", "/console/public-reports/{report_id}"): (SIGNED_IN, "/console/public-reports/1"),
    ("POST", "/console/public-reports/{report_id}/answer"): (
        SIGNED_IN,
        "/console/public-reports/1/answer",
    ),
    ("GET", "/console/report"): (PUBLIC, "/console/report"),
    ("POST", "/console/report"): (CSRF_FIRST, "/console/report"),
    ("GET", "/console/datasets/{name}"): (PUBLIC, "/console/datasets/ca_open"),
    ("POST", "/console/datasets/{name}/rating"): (SIGNED_IN, "/console/datasets/ca_open/rating"),
    ("POST", "/console/datasets/{name}/comments"): (
        SIGNED_IN,
        "/console/datasets/ca_open/comments",
    ),
    ("GET", "/console/provider/comments"): (SIGNED_IN, "/console/provider/comments"),
    ("POST", "/console/provider/comments/{comment_id}"): (
        SIGNED_IN,
        "/console/provider/comments/1",
    ),
    ("GET", "/console/language"): (PUBLIC, "/console/language?lang=en&next=/console/catalog"),
    ("GET", "/console/sign-in"): (PUBLIC, "/console/sign-in"),
    ("GET", "/console/account"): (SIGNED_IN, "/console/account"),
    ("GET", "/v1/docs"): (PUBLIC, "/v1/docs"),
    ("GET", "/console/authority/floor"): (SIGNED_IN, "/console/authority/floor"),
    ("POST", "/console/authority/floor"): (SIGNED_IN, "/console/authority/floor"),
    ("GET", "/console/authority/reviews"): (SIGNED_IN, "/console/authority/reviews"),
    ("POST", "/console/authority/reviews/application"): (
        SIGNED_IN,
        "/console/authority/reviews/application",
    ),
    ("POST", "/console/authority/reviews/demand"): (SIGNED_IN, "/console/authority/reviews/demand"),
    ("GET", "/console/authority/attribute-changes"): (
        SIGNED_IN,
        "/console/authority/attribute-changes",
    ),
    ("POST", "/console/authority/attribute-changes"): (
        SIGNED_IN,
        "/console/authority/attribute-changes",
    ),
    ("GET", "/console/authority/overdue"): (SIGNED_IN, "/console/authority/overdue"),
    # catalog governance (oversight reads, the authority decides)
    ("GET", "/console/authority/publication-reviews"): (
        SIGNED_IN,
        "/console/authority/publication-reviews",
    ),
    ("GET", "/console/authority/publication-reviews/{name}/{version}"): (
        SIGNED_IN,
        "/console/authority/publication-reviews/ca_open/1",
    ),
    ("POST", "/console/authority/publication-reviews/{name}/{version}"): (
        SIGNED_IN,
        "/console/authority/publication-reviews/ca_open/1",
    ),
    ("GET", "/console/authority/grade-proposals"): (
        SIGNED_IN,
        "/console/authority/grade-proposals",
    ),
    ("POST", "/console/authority/grade-proposals/{name}"): (
        SIGNED_IN,
        "/console/authority/grade-proposals/ca_open",
    ),
    ("GET", "/console/authority/quality-assessments"): (
        SIGNED_IN,
        "/console/authority/quality-assessments",
    ),
    ("POST", "/console/authority/quality-assessments"): (
        SIGNED_IN,
        "/console/authority/quality-assessments",
    ),
    ("GET", "/console/authority/quality-assessments/{assessment_id}"): (
        SIGNED_IN,
        "/console/authority/quality-assessments/1",
    ),
    ("POST", "/console/authority/quality-assessments/{assessment_id}/conclusion"): (
        SIGNED_IN,
        "/console/authority/quality-assessments/1/conclusion",
    ),
    ("GET", "/console/authority/update-reminders"): (
        SIGNED_IN,
        "/console/authority/update-reminders",
    ),
    ("GET", "/console/dashboard"): (SIGNED_IN, "/console/dashboard"),
    ("GET", "/console/audit"): (SIGNED_IN, "/console/audit"),
    ("GET", "/console/audit/verify"): (SIGNED_IN, "/console/audit/verify"),
    ("GET", "/console/audit/trace"): (SIGNED_IN, "/console/audit/trace?dataset=ca_open"),
    ("POST", "/console/sign-in"): (CSRF_FIRST, "/console/sign-in"),
    ("POST", "/console/sign-out"): (SIGNED_IN, "/console/sign-out"),
    ("GET", "/console/applications"): (SIGNED_IN, "/console/applications"),
    ("GET", "/console/applications/new"): (SIGNED_IN, "/console/applications/new"),
    ("POST", "/console/applications/new"): (SIGNED_IN, "/console/applications/new"),
    ("GET", "/console/applications/{application_id}"): (SIGNED_IN, "/console/applications/1"),
    # the provider's cases (provider; held logs: reviewer, provider, oversight reads)
    ("GET", "/console/provider/applications"): (SIGNED_IN, "/console/provider/applications"),
    ("GET", "/console/provider/applications/{application_id}"): (
        SIGNED_IN,
        "/console/provider/applications/1",
    ),
    ("POST", "/console/provider/applications/{application_id}"): (
        SIGNED_IN,
        "/console/provider/applications/1",
    ),
    ("GET", "/console/provider/complaints"): (SIGNED_IN, "/console/provider/complaints"),
    ("GET", "/console/provider/complaints/{complaint_id}"): (
        SIGNED_IN,
        "/console/provider/complaints/1",
    ),
    ("POST", "/console/provider/complaints/{complaint_id}/answer"): (
        SIGNED_IN,
        "/console/provider/complaints/1/answer",
    ),
    ("POST", "/console/provider/complaints/{complaint_id}/suspend"): (
        SIGNED_IN,
        "/console/provider/complaints/1/suspend",
    ),
    ("GET", "/console/provider/objections"): (SIGNED_IN, "/console/provider/objections"),
    ("GET", "/console/provider/objections/{objection_id}"): (
        SIGNED_IN,
        "/console/provider/objections/1",
    ),
    ("POST", "/console/provider/objections/{objection_id}/answer"): (
        SIGNED_IN,
        "/console/provider/objections/1/answer",
    ),
    ("GET", "/console/provider/suspensions"): (SIGNED_IN, "/console/provider/suspensions"),
    ("POST", "/console/provider/suspensions/{name}/resolve"): (
        SIGNED_IN,
        "/console/provider/suspensions/ca_open/resolve",
    ),
    ("GET", "/console/provider/reports"): (SIGNED_IN, "/console/provider/reports"),
    ("GET", "/console/provider/reports/{report_id}"): (SIGNED_IN, "/console/provider/reports/1"),
    ("POST", "/console/provider/reports/rectification"): (
        SIGNED_IN,
        "/console/provider/reports/rectification",
    ),
    ("GET", "/console/provider/logs"): (SIGNED_IN, "/console/provider/logs"),
    ("GET", "/console/provider/logs/{job_id}"): (SIGNED_IN, "/console/provider/logs/1"),
    ("POST", "/console/provider/logs/{job_id}"): (SIGNED_IN, "/console/provider/logs/1"),
    ("GET", "/console/grants"): (SIGNED_IN, "/console/grants"),
    ("GET", "/console/grants/{grant_id}"): (SIGNED_IN, "/console/grants/1"),
    ("POST", "/console/grants/{grant_id}/accept"): (SIGNED_IN, "/console/grants/1/accept"),
    ("GET", "/console/register"): (PUBLIC, "/console/register"),
    ("POST", "/console/register"): (CSRF_FIRST, "/console/register"),
    ("GET", "/console/jobs"): (SIGNED_IN, "/console/jobs"),
    ("GET", "/console/jobs/new"): (SIGNED_IN, "/console/jobs/new"),
    ("POST", "/console/jobs/new"): (SIGNED_IN, "/console/jobs/new"),
    ("GET", "/console/jobs/{job_id}"): (SIGNED_IN, "/console/jobs/1"),
    ("GET", "/console/reviews"): (SIGNED_IN, "/console/reviews"),
    ("GET", "/console/reviews/{job_id}"): (SIGNED_IN, "/console/reviews/1"),
    ("POST", "/console/reviews/{job_id}"): (SIGNED_IN, "/console/reviews/1"),
    ("GET", "/console/inbox"): (SIGNED_IN, "/console/inbox"),
    ("POST", "/console/inbox/read-all"): (SIGNED_IN, "/console/inbox/read-all"),
    ("POST", "/console/inbox/preferences"): (SIGNED_IN, "/console/inbox/preferences"),
    ("POST", "/console/inbox/{notification_id}/read"): (SIGNED_IN, "/console/inbox/1/read"),
    ("GET", "/console/provider/datasets"): (SIGNED_IN, "/console/provider/datasets"),
    ("GET", "/console/provider/datasets/{name}"): (SIGNED_IN, "/console/provider/datasets/ca_open"),
    ("POST", "/console/provider/datasets/{name}/integrity"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/integrity",
    ),
    ("GET", "/console/provider/registration"): (SIGNED_IN, "/console/provider/registration"),
    ("POST", "/console/provider/registration"): (SIGNED_IN, "/console/provider/registration"),
    ("GET", "/console/provider/datasets/{name}/versions/new"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/versions/new",
    ),
    ("POST", "/console/provider/datasets/{name}/versions/new"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/versions/new",
    ),
    ("GET", "/console/provider/datasets/{name}/policy"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/policy",
    ),
    ("POST", "/console/provider/datasets/{name}/policy"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/policy",
    ),
    ("POST", "/console/provider/datasets/{name}/grade"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/grade",
    ),
    ("POST", "/console/provider/datasets/{name}/versions/{version}/resubmission"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/versions/1/resubmission",
    ),
    ("POST", "/console/provider/datasets/{name}/desensitisations"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/desensitisations",
    ),
    ("POST", "/console/provider/datasets/{name}/attribute-changes"): (
        SIGNED_IN,
        "/console/provider/datasets/ca_open/attribute-changes",
    ),
    ("GET", "/console/verification"): (SIGNED_IN, "/console/verification"),
    ("GET", "/console/verification/{service_id}"): (SIGNED_IN, "/console/verification/1"),
    ("POST", "/console/verification/{service_id}"): (SIGNED_IN, "/console/verification/1"),
    ("GET", "/console/provider/verification"): (SIGNED_IN, "/console/provider/verification"),
    ("GET", "/console/provider/verification/{name}"): (
        SIGNED_IN,
        "/console/provider/verification/ca_open",
    ),
    ("POST", "/console/provider/verification/{name}"): (
        SIGNED_IN,
        "/console/provider/verification/ca_open",
    ),
    ("POST", "/console/provider/verification/services/{service_id}/withdraw"): (
        SIGNED_IN,
        "/console/provider/verification/services/1/withdraw",
    ),
}


def _console_routes() -> set[tuple[str, str]]:
    """Every route of every page module :func:`api.console.install_console` includes."""
    found = set()
    for module in PAGE_MODULES:
        for route in module.router.routes:
            assert isinstance(route, ConsoleRoute), route  # pages answer errors with pages
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_console_route_is_in_the_matrix() -> None:
    assert _console_routes() == set(PAGES)


@pytest.fixture(scope="module")
def opened(live_server: LiveServer, accounts: Accounts) -> LiveServer:
    with live_server.client(accounts["provider"].token) as provider:
        ok(
            register(provider, parquet_bytes(people_table()), metadata("ca_open", "unconditional")),
            201,
        )
    return live_server


@pytest.mark.parametrize("page", sorted(PAGES), ids=[f"{m} {p}" for m, p in sorted(PAGES)])
def test_a_visitor_gets_public_pages_and_is_refused_the_rest(
    opened: LiveServer, page: tuple[str, str]
) -> None:
    who, path = PAGES[page]
    with httpx.Client(base_url=opened.url, follow_redirects=False, timeout=60) as visitor:
        response = visitor.request(page[0], path)
    if who == CSRF_FIRST:  # a visitor's form without its CSRF token: refused first
        assert response.status_code == 403, (page, response.status_code)
    elif who == PUBLIC:
        assert response.status_code in (200, 303), (page, response.status_code)
        if response.status_code == 303:
            assert response.headers["location"].startswith("/console/")
    else:
        assert response.status_code == 401, (page, response.status_code)
        assert "需要登录" in response.text
        assert "text/html" in response.headers["content-type"]


def test_a_bearer_token_is_not_a_console_session(opened: LiveServer, accounts: Accounts) -> None:
    """Pages run on the session cookie only: a token sent by a browser extension or a
    script gives no page access (the API is where tokens work)."""
    with opened.client(accounts["admin"].token) as client:
        assert client.get("/console/account").status_code == 401


def test_pages_allow_only_the_servers_own_scripts(opened: LiveServer) -> None:
    response = httpx.get(f"{opened.url}/console/catalog")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "cdn" not in response.text.lower()


def test_the_language_switch_never_leaves_the_site(opened: LiveServer) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = httpx.get(
            f"{opened.url}/console/language", params={"lang": "en", "next": target}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/console/catalog"
    bad = httpx.get(f"{opened.url}/console/language", params={"lang": "fr"})
    assert bad.status_code == 422
    assert "language &#39;fr&#39; is not one of" in bad.text
