"""A researcher's applications: the list, the application form (every field of
``POST /v1/applications``, a bad one shown beside its field) and one application with the
stages and working-day deadlines it started. The domain calls are the API router's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import nav
from api.console.auth import SignedInDep, Viewer, require_console_roles
from api.console.oversight_forms import read_form
from api.console.pages.application_attachments import attachments_context
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from api.schemas.applications import ApplicationPublic
from api.types import Id
from sandbox.access import applications
from sandbox.access.errors import IncompleteApplication
from sandbox.access.model import ApplicationDraft, ApplicationKind
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Role
from sandbox.store.db import transaction

router = console_router()
UserDep = Annotated[Viewer, require_console_roles(Role.USER)]

nav.add(
    nav.NavItem("nav.applications", "/console/applications", order=20, roles=frozenset({Role.USER}))
)

FIELDS = (
    "title",
    "reason",
    "type",
    "datasets",
    "period_start",
    "period_end",
    "results_form",
    "scenario",
    "security_measures",
    "commitment_signed",
)
"""The form's fields, named as the API body's (the domain's refusals name them so)."""


@dataclass
class ApplicationForm:
    """What the form posted, as typed, and the message of each field it got wrong."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    def draft(self) -> ApplicationDraft:
        """The draft the domain checks; a date that does not parse is a field error."""
        days = {name: self._day(name) for name in ("period_start", "period_end")}
        names = tuple(n.strip() for n in self.values["datasets"].replace("，", ",").split(","))
        return ApplicationDraft(
            title=self.values["title"],
            reason=self.values["reason"],
            kind=self.values["type"],
            datasets=tuple(n for n in names if n),
            period_start=days["period_start"],
            period_end=days["period_end"],
            results_form=self.values["results_form"],
            scenario=self.values["scenario"],
            security_measures=self.values["security_measures"],
            commitment_signed=self.values["commitment_signed"] == "yes",
        )

    def _day(self, name: str) -> date | None:
        text = self.values[name].strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.errors[name] = "apps.error.date"
            return None

    def refused(self, error: InvalidRequest) -> None:
        """Put the domain's refusal beside the fields it names."""
        if isinstance(error, IncompleteApplication):
            for name in error.missing:
                self.errors.setdefault(name, "apps.error.required")
            return
        self.summary = error.message
        text = error.message
        if "period" in text:
            self.errors.setdefault("period_end", "apps.error.period")
        elif "dataset" in text:
            self.errors.setdefault("datasets", "apps.error.datasets")
        elif text.startswith("type"):
            self.errors.setdefault("type", "apps.error.required")


def _blank_form() -> ApplicationForm:
    return ApplicationForm({name: "" for name in FIELDS})


def _form_page(request: Request, viewer: Viewer, form: ApplicationForm, status: int) -> Response:
    context = {"form": form, "kinds": [k.value for k in ApplicationKind]}
    return render(request, "pages/application_form.html", viewer, context, status_code=status)


@router.get("/console/applications")
def applications_page(request: Request, platform: PlatformDep, viewer: SignedInDep) -> Response:
    """The applications the account may see (``GET /v1/applications``)."""
    with platform.sessions() as session:
        found = applications.list_applications(session, viewer.actor, platform.calendar)
        shown = [ApplicationPublic.model_validate(a) for a in found]
    return render(request, "pages/applications.html", viewer, {"applications": shown})


@router.get("/console/applications/new")
def new_application_page(request: Request, viewer: UserDep, dataset: str | None = None) -> Response:
    """The empty application form (``dataset`` fills the datasets field from the catalog)."""
    form = _blank_form()
    form.values["datasets"] = dataset or ""
    return _form_page(request, viewer, form, 200)


@router.post("/console/applications/new")
def submit_application(
    request: Request,
    platform: PlatformDep,
    viewer: UserDep,
    fields: Annotated[dict[str, str], Depends(read_form)],
) -> Response:
    """File the application (``POST /v1/applications``); a refusal shows the form again
    with each wrong field marked (422) and nothing filed.
    """
    form = ApplicationForm({name: fields.get(name, "") for name in FIELDS})
    draft = form.draft()
    if form.errors:
        return _form_page(request, viewer, form, 422)
    try:
        with transaction(platform.sessions) as session:
            filed = applications.submit_application(session, viewer.actor, platform.calendar, draft)
    except InvalidRequest as error:
        form.refused(error)
        return _form_page(request, viewer, form, 422)
    return RedirectResponse(f"/console/applications/{filed.id}", status_code=303)


@router.get("/console/applications/{application_id}")
def application_page(
    application_id: Id, request: Request, platform: PlatformDep, viewer: SignedInDep
) -> HTMLResponse:
    """One application with its stages and deadlines (``GET /v1/applications/{id}``)."""
    with platform.sessions() as session:
        found = applications.get_application(
            session, viewer.actor, platform.calendar, application_id
        )
        shown = ApplicationPublic.model_validate(found)
        attached = attachments_context(session, viewer.actor, found)
    return render(request, "pages/application.html", viewer, {"application": shown, **attached})
