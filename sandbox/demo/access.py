"""The demo's (and the runtime benchmark's) way to an active grant: the researcher is
verified, applies, the authority passes the form, the provider approves a scope, the
researcher accepts the agreement. Every step goes over HTTP like a real user's.

:func:`grant_access` walks it silently; :mod:`sandbox.demo.application_step` walks the same
steps with :func:`application_fields` and shows each record on the way.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sandbox.client import SandboxClient

__all__ = ["ELIGIBILITY", "application_fields", "grant_access"]

ELIGIBILITY = (
    ("real_name_verified", "yes", "checked the ID card at the service desk"),
    ("credit_standing", "good", "checked the public credit register"),
)
"""The facts the authority records before the researcher may apply (Qingdao art. 16)."""


def application_fields(datasets: list[str], title: str = "City health study") -> dict[str, Any]:
    """Every field an application requires, for a 90-day study starting today."""
    start = date.today()
    return {
        "title": title,
        "reason": "Health outcomes by district for the city plan",
        "type": "dataset",
        "datasets": datasets,
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=90)).isoformat(),
        "results_form": "aggregate tables",
        "scenario": "city planning report",
        "security_measures": "results reviewed before release; no raw rows leave the platform",
        "commitment_signed": True,
    }


def grant_access(
    user: SandboxClient,
    authority: SandboxClient,
    provider: SandboxClient,
    user_id: int,
    datasets: list[str],
    *,
    job_kinds: tuple[str, ...] = ("dp",),
    grant_budget: float = 2.0,
    title: str = "City health study",
) -> dict[str, Any]:
    """Walk an application to an active grant; return the grant."""
    for fact, value, note in ELIGIBILITY:
        authority.set_eligibility(user_id, fact, value, note=note)
    application = user.submit_application_fields(application_fields(datasets, title))
    authority.review_application_form(application["id"], True)
    decision = provider.approve_application(
        application["id"], grant_budget=grant_budget, job_kinds=list(job_kinds)
    )
    return user.accept_grant(int(decision["grant_id"]))
