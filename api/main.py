"""The FastAPI application factory: ``uvicorn --factory api.main:create_app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api.concurrency import BoundedInFlight, widen_worker_threads
from api.console import install_console
from api.console.auth import use_session_resolver
from api.errors import install_error_handlers
from api.observability import ObservedFastAPI
from api.openapi import install_error_documentation
from api.rate_limits import AddressRateLimit, RateLimits, rate_limited_resolver
from api.routers import (
    accounts,
    application_attachments,
    applications,
    attribute_changes,
    audit,
    complaints,
    data_products,
    datasets,
    deadlines,
    demands,
    enforcement,
    feedback,
    governance,
    grants,
    health,
    jobs,
    law_changes,
    metrics,
    notifications,
    objections,
    opening_plan,
    organisations,
    policies,
    public_reports,
    reviews,
    sessions,
    stats,
    suspensions,
    synthetic_previews,
    tokens,
    uploads,
    usage_reports,
    users,
    verification,
)
from api.session_auth import VisitorCsrfCookie, console_actor
from sandbox.config import Settings
from sandbox.datasets.uploads import expire_uploads
from sandbox.jobs.dispatcher import JobDispatcher
from sandbox.notifications.worker import NotificationLoop
from sandbox.observability.logs import configure_logging
from sandbox.oversight.report_reminders import remind_reports
from sandbox.platform import Platform
from sandbox.runtime.vetted import VettedModels

log = logging.getLogger(__name__)


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: ``<tag>-<function name>``."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def sweep_at_start(platform: Platform) -> None:
    """Remove uploads that expired while the server was down, before it serves anything:
    otherwise they wait for the next staging operation, which may be days away. A failed
    sweep is logged and retried at that operation; it does not keep the server down.
    """
    try:
        expired = expire_uploads(platform)
    except Exception:
        log.exception("the start-up sweep of expired uploads failed")
        return
    if expired:
        log.info("removed %d expired uploads at start-up", expired)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings are read from the environment here, never at import."""
    settings = settings or Settings()
    configure_logging(settings.log_format, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        widen_worker_threads()
        platform = Platform.open(settings)
        app.state.platform = platform
        sweep_at_start(platform)
        app.state.models = VettedModels(settings.algorithms_dir)
        app.state.dispatcher = JobDispatcher(platform)
        app.state.dispatcher.start()
        app.state.notifications = NotificationLoop(
            platform.sessions, settings, platform.calendar, sweeps=[remind_reports]
        )
        app.state.notifications.start()
        app.state.metrics_registry = metrics.scrape_registry(platform, app.state.dispatcher)
        try:
            yield
        finally:
            app.state.notifications.stop()
            app.state.dispatcher.stop()
            platform.close()

    app = ObservedFastAPI(
        title="Data sandbox",
        version="1",
        description="Privacy-preserving data sandbox and compute service.",
        openapi_url="/v1/openapi.json",
        docs_url=None,  # the console serves /v1/docs with its own Swagger UI (no CDN)
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    v1 = APIRouter(prefix="/v1")
    for module in (
        health,
        organisations,
        users,
        tokens,
        sessions,
        accounts,
        uploads,
        datasets,
        attribute_changes,
        governance,
        policies,
        audit,
        applications,
        grants,
        demands,
        deadlines,
        complaints,
        suspensions,
        objections,
        usage_reports,
        enforcement,
        data_products,
        feedback,
        stats,
        opening_plan,
        law_changes,
        public_reports,
        application_attachments,
        jobs,
        reviews,
        synthetic_previews,
        verification,
        notifications,
    ):
        v1.include_router(module.router)
    v1.include_router(data_products.public_router)
    app.include_router(v1)
    app.include_router(metrics.router)
    use_session_resolver(rate_limited_resolver(console_actor))
    app.add_middleware(BoundedInFlight)
    app.add_middleware(VisitorCsrfCookie)
    app.state.rate_limits = RateLimits.from_settings(settings)
    app.add_middleware(AddressRateLimit, limits=app.state.rate_limits)
    install_console(app)
    install_error_handlers(app)
    install_error_documentation(app)
    return app
