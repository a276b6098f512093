"""The web console: server-rendered pages (Jinja2) over the same domain services as the API.

:func:`install_console` adds its pages (see :mod:`api.console.pages`), its static files and
the npm-built assets to the app; docs/console.md says how to add a page.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.console.pages import (
    account,
    applications,
    auditor,
    authority,
    authority_governance,
    authority_governance_grades,
    authority_governance_quality,
    catalog,
    dashboard,
    dataset,
    docs,
    feedback,
    feedback_moderation,
    grants,
    inbox,
    job_status,
    jobs,
    participation,
    plans_tasks_reports_law,
    plans_tasks_reports_plans,
    plans_tasks_reports_reports,
    provider_cases,
    provider_cases_complaints,
    provider_cases_datasets,
    provider_cases_logs,
    provider_cases_objections,
    provider_data,
    provider_data_governance,
    provider_data_policy,
    provider_data_records,
    provider_data_uploads,
    registration,
    review,
    session_forms,
    verification,
    verification_provider,
)
from api.console.paths import ASSETS_DIR, STATIC_DIR, STATIC_URL, VENDOR_URL

log = logging.getLogger(__name__)

PAGE_MODULES = (
    catalog,
    dataset,
    account,
    docs,
    authority,
    dashboard,
    auditor,
    session_forms,
    applications,
    grants,
    jobs,
    job_status,
    registration,
    review,
    provider_cases,
    provider_cases_complaints,
    provider_cases_objections,
    provider_cases_datasets,
    provider_cases_logs,
    provider_data,
    provider_data_uploads,
    provider_data_policy,
    provider_data_governance,
    provider_data_records,
    inbox,
    participation,
    verification,
    verification_provider,
    authority_governance,
    authority_governance_grades,
    authority_governance_quality,
    plans_tasks_reports_plans,
    plans_tasks_reports_law,
    plans_tasks_reports_reports,
    feedback,
    feedback_moderation,
)
"""Every page module; a new one is added here."""


def install_console(app: FastAPI) -> None:
    """Mount the console on ``app``: pages under ``/console`` (``/`` leads there), the
    offline OpenAPI page at ``/v1/docs``, static files and vendored assets.
    """
    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="console-static")
    if not (ASSETS_DIR / "BUILT").is_file():
        log.warning(
            "the console's assets are not built in %s (run scripts/install-deps.sh): "
            "the code editor, charts and the API page will not load",
            ASSETS_DIR,
        )
    app.mount(VENDOR_URL, StaticFiles(directory=ASSETS_DIR, check_dir=False), name="console-vendor")
