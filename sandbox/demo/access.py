"""The demo's (and the runtime benchmark's) way to an active grant: the researcher is
verified, applies, the authority passes the form, the provider approves a scope, the
researcher accepts the agreement. Every step goes over HTTP like a real user's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sandbox.client import SandboxClient

__all__ = ["grant_access"]


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
    for fact, value in (("real_name_verified", "yes"), ("credit_standing", "good")):
        authority.set_eligibility(user_id, fact, value, note="checked at the service desk")
    start = date.today()
    application = user.submit_application(
        title=title, reason="Health outcomes by district for the city plan",
        datasets=datasets, period_start=start.isoformat(),
        period_end=(start + timedelta(days=90)).isoformat(),
        results_form="aggregate tables", scenario="city planning report",
        security_measures="results reviewed before release; no raw rows leave the platform",
        commitment_signed=True)
    authority.review_application_form(application["id"], True)
    decision = provider.approve_application(application["id"], grant_budget=grant_budget,
                                            job_kinds=list(job_kinds))
    return user.accept_grant(int(decision["grant_id"]))
