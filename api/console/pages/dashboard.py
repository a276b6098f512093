"""The statistics dashboard: the platform's own figures (``GET /v1/stats``) as charts, each
beside the table of its numbers (the accessible form of the chart, and what the chart is
drawn from: static/dashboard.js reads the table, so the two never disagree).

Every account may read the figures, as the API allows; the budget part lists only the
datasets whose budget the viewer may read (the domain filters them). Budget spent over time
is each of those datasets' ledger charges (``list_charges``), summed day by day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.console import nav
from api.console.auth import SignedInDep
from api.console.rendering import render
from api.console.routing import console_router
from api.deps import PlatformDep
from sandbox.identity.model import Role
from sandbox.ledger.sql_charges import list_charges
from sandbox.oversight.model import BudgetFigures
from sandbox.oversight.stats import platform_stats
from sandbox.workdays import WorkCalendar

router = console_router()

nav.add(
    nav.NavItem(
        "nav.dashboard",
        "/console/dashboard",
        45,
        frozenset({Role.AUTHORITY, Role.AUDITOR, Role.ADMIN}),
    )
)

SPENT_DIGITS = 6
"""Decimals of a cumulative loss shown in the table (the ledger keeps it exact)."""


@dataclass(frozen=True)
class SpendingSeries:
    """Budget spent per dataset over time: one row per day with a charge, each dataset's
    cumulative loss at the end of that day.
    """

    datasets: list[str]
    days: list[date]
    spent: dict[date, dict[str, str]]


def _spending(
    session: Session, budgets: tuple[BudgetFigures, ...], calendar: WorkCalendar
) -> SpendingSeries:
    per_day: dict[str, dict[date, Fraction]] = {}
    for figures in budgets:
        daily: dict[date, Fraction] = defaultdict(Fraction)
        for charge in list_charges(session, dataset=figures.dataset):
            daily[calendar.local_date(charge.created_at)] += charge.cost.loss
        per_day[figures.dataset] = daily
    days = sorted({day for daily in per_day.values() for day in daily})
    spent: dict[date, dict[str, str]] = {day: {} for day in days}
    for name, daily in per_day.items():
        total = Fraction(0)
        for day in days:
            total += daily.get(day, Fraction(0))
            spent[day][name] = f"{float(total):.{SPENT_DIGITS}g}"
    return SpendingSeries(sorted(per_day), days, spent)


@router.get("/console/dashboard")
def dashboard_page(request: Request, platform: PlatformDep, viewer: SignedInDep) -> HTMLResponse:
    """The platform's figures, charted and tabulated."""
    with platform.sessions() as session:
        stats = platform_stats(session, viewer.actor, platform.calendar)
        spending = _spending(session, stats.budgets, platform.calendar)
    return render(request, "pages/dashboard.html", viewer, {"stats": stats, "spending": spending})
