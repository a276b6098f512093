"""The regulated way to a grant, shown step by step over HTTP.

1. the authority records the researcher's eligibility facts (real name, credit standing);
2. the researcher applies: every field the rules require;
3. the authority's form review, due within 5 working days;
4. the provider's review, due within 10 working days, approves a scope (datasets, job kinds,
   a privacy budget, a period): the grant is created ``pending_acceptance``;
5. the researcher reads the agreement and accepts its version and hash: the grant is active.

Deadlines are counted in working days on the platform's calendar (weekends, public
holidays, make-up working days), so the due days shown skip them.

A later run first asks the budget (:mod:`sandbox.demo.budget`): an active grant that still
covers the run is reused and its record shown; otherwise a new application is walked; and
when the dataset's lifetime budget is spent, :class:`DemoCannotContinue` says how to start
over.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from sandbox.client import SandboxClient
from sandbox.demo.access import ELIGIBILITY, application_fields
from sandbox.demo.budget import LifetimeSpent, NewGrant, Reuse, choose_grant
from sandbox.demo.show import facts_table, fields_table, stages_table
from sandbox.demo.walkthrough import CONDITIONAL, Walkthrough
from sandbox.identity.model import Role

__all__ = ["GRANT_BUDGET", "JOB_KINDS", "DemoCannotContinue", "obtain_grant", "read_budget"]

JOB_KINDS = ("dp", "raw")
"""What the demo's grant allows: a DP job and a raw-access job."""
GRANT_BUDGET = 2
"""The grant's privacy budget (epsilon) the provider approves."""
APPLICATION_SHOWN = (
    "applicant",
    "applicant_org",
    "provider_org",
    "title",
    "reason",
    "type",
    "datasets",
    "period_start",
    "period_end",
    "results_form",
    "scenario",
    "security_measures",
    "commitment_signed_at",
    "status",
)
GRANT_SHOWN = (
    "ref",
    "status",
    "holder",
    "datasets",
    "job_kinds",
    "policy",
    "period_start",
    "period_end",
    "approved_by",
    "agreement_version",
    "agreement_sha256",
    "accepted_at",
    "report_interval_days",
)


class DemoCannotContinue(Exception):
    """The demo cannot run from the state the last runs left; the message says what to do."""


def read_budget(provider: SandboxClient, dataset: str) -> dict[str, Any]:
    """The dataset's budget accounts, as its provider reads them (``GET /v1/budgets/{name}``).

    The client has no method of its own for this endpoint yet, so the request goes over the
    client's connection (same token, same error handling).
    """
    return provider._obj("GET", f"/budgets/{dataset}")


def obtain_grant(walk: Walkthrough, need: Fraction) -> dict[str, Any]:
    """An active grant on the conditional dataset that covers ``need`` (this run's DP loss).

    Raises:
        DemoCannotContinue: The dataset's lifetime budget cannot cover this run.
    """
    console = walk.console
    with walk.client(Role.USER) as user, walk.client(Role.PROVIDER) as provider:
        choice = choose_grant(
            user.list_grants("active"),
            read_budget(provider, CONDITIONAL),
            dataset=CONDITIONAL,
            job_kinds=JOB_KINDS,
            need=need,
        )
    if isinstance(choice, LifetimeSpent):
        raise DemoCannotContinue(choice.message())
    if isinstance(choice, Reuse):
        console.rule("[bold]Researcher: an active grant still covers this run")
        console.print(
            f"{choice.grant['ref']} has epsilon {float(choice.remaining):g} left, "
            f"this run needs {float(need):g}: reused (its record below)"
        )
        _eligibility(walk, record=False)
        return _show_record(walk, choice.grant)
    assert isinstance(choice, NewGrant)
    console.rule("[bold]Researcher: a new application")
    console.print(choice.reason)
    _eligibility(walk, record=True)
    return _apply(walk)


def _eligibility(walk: Walkthrough, *, record: bool) -> None:
    researcher = walk.accounts[Role.USER].user_id
    with walk.client(Role.AUTHORITY) as authority:
        if record:
            for fact, value, note in ELIGIBILITY:
                authority.set_eligibility(researcher, fact, value, note=note)
        user = authority.get_user(researcher)
    verb = "records" if record else "recorded"
    walk.console.print(
        facts_table(user["eligibility"], f"the authority {verb} {user['username']}'s eligibility")
    )


def _apply(walk: Walkthrough) -> dict[str, Any]:
    console = walk.console
    with (
        walk.client(Role.USER) as user,
        walk.client(Role.AUTHORITY) as authority,
        walk.client(Role.PROVIDER) as provider,
    ):
        application = user.submit_application_fields(application_fields([CONDITIONAL]))
        number = int(application["id"])
        console.print(
            fields_table(application, APPLICATION_SHOWN, f"application {number}, as submitted")
        )
        console.print(stages_table(application, "waiting for the authority's form review"))
        console.rule("[bold]Authority: the form review (within 5 working days)")
        application = authority.review_application_form(number, True)
        console.print(
            stages_table(
                application, f"application {number}: form passed, waiting for the provider"
            )
        )
        console.rule("[bold]Provider: the review (within 10 working days) and the scope")
        application = provider.approve_application(
            number,
            grant_budget=GRANT_BUDGET,
            job_kinds=list(JOB_KINDS),
            note="aggregate outputs only; DP and reviewed raw-access jobs",
        )
        console.print(stages_table(application, f"application {number}: {application['status']}"))
        grant_id = int(application["grant_id"])
        console.rule("[bold]Researcher: the data use agreement")
        agreement = user.grant_agreement(grant_id)
        heading = agreement["text"].strip().splitlines()[0].lstrip("# ")
        console.print(
            f"agreement version {agreement['version']}, sha256 "
            f"{agreement['sha256'][:16]}...: {heading}"
        )
        grant = user.accept_grant(grant_id, str(agreement["version"]), str(agreement["sha256"]))
    console.print(fields_table(grant, GRANT_SHOWN, f"grant {grant['ref']}: accepted"))
    return grant


def _show_record(walk: Walkthrough, grant: Mapping[str, Any]) -> dict[str, Any]:
    with walk.client(Role.USER) as user:
        application = user.get_application(int(grant["application_id"]))
    walk.console.print(
        stages_table(
            application,
            f"application {application['id']} ({application['title']}): {application['status']}",
        )
    )
    walk.console.print(fields_table(grant, GRANT_SHOWN, f"grant {grant['ref']}"))
    return dict(grant)
