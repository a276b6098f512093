"""What the opening-plan, change-of-law and public-report pages share: who opens them, the
navigation link, and how a refused form comes back beside itself.

These pages are the work pages of the two roles the API's write routes name
(``POST /v1/opening-plans/...``, ``/v1/law-change-tasks/{id}/close``,
``/v1/public-reports/{id}/answer``: provider or authority). Which plans, tasks and reports
each sees and may act on is the domain's to say (the same functions the API calls, with
the viewer's actor), so a page can do nothing the API would refuse.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from api.console import nav
from api.console.auth import Viewer, require_console_roles
from sandbox.errors import InvalidRequest
from sandbox.identity.model import Role

STAFF = frozenset({Role.PROVIDER, Role.AUTHORITY})

StaffViewer = Annotated[Viewer, require_console_roles(Role.PROVIDER, Role.AUTHORITY)]
"""A signed-in provider or the authority (the roles of the API's write routes)."""
AuthorityViewer = Annotated[Viewer, require_console_roles(Role.AUTHORITY)]
"""The authority (recording a change of law is its alone, as ``POST /v1/law-changes``)."""

nav.add(nav.NavItem("nav.ptr", "/console/plans", 37, STAFF))

TABS = (
    ("plans", "/console/plans"),
    ("law", "/console/law-changes"),
    ("reports", "/console/public-reports"),
)
"""The three pages' tabs, in order (the templates' ``ptr.tab.*`` labels)."""


def posted_date(value: str | None, label: str) -> date:
    """A date from a form (``YYYY-MM-DD``, as the browser's date input posts it), else a
    typed refusal naming the field.
    """
    text = (value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{label} must be a date (YYYY-MM-DD)") from None


def is_authority(viewer: Viewer) -> bool:
    """Whether the page is rendered for the authority (its forms differ from a provider's)."""
    return viewer.role is Role.AUTHORITY
