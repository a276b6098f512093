"""Pure rules of the access workflow: eligibility, completeness, state transitions, and
whether a grant covers a use. No I/O: values in, decisions out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sandbox.access.errors import IncompleteApplication
from sandbox.access.model import (
    ApplicationDraft,
    ApplicationKind,
    ApplicationStatus,
    DemandStatus,
    Grant,
    GrantStatus,
    JobKind,
)
from sandbox.errors import Conflict, InvalidRequest
from sandbox.identity.model import EligibilityFact

MAX_TEXT_CHARS = 20_000
"""Longest free-text field of an application or a request."""
MAX_DATASETS = 50
"""Most datasets one application may name."""
MAX_PERIOD_DAYS = 5 * 366
"""Longest period of use one application may ask for (about five years)."""


# ---- eligibility ---------------------------------------------------------------------------


def eligibility_failures(facts: Mapping[str, str]) -> list[str]:
    """Every eligibility condition that ``facts`` (fact name -> current value) fails.

    Qingdao art. 16: real-name verified, and not on the dishonest-debtor or
    serious-violation lists. A fact never recorded counts as not met.
    """
    failed = []
    verified = facts.get(EligibilityFact.REAL_NAME_VERIFIED.value)
    if verified != "yes":
        failed.append(
            "real-name verification is not recorded"
            if verified is None
            else "the account is not real-name verified"
        )
    credit = facts.get(EligibilityFact.CREDIT_STANDING.value)
    if credit is None:
        failed.append("no credit standing is recorded")
    elif credit == "dishonest_debtor":
        failed.append("the account is on the list of dishonest debtors")
    elif credit == "serious_violation":
        failed.append("the account is on the list of serious violations")
    elif credit != "good":
        failed.append(f"the credit standing {credit!r} is not good")
    return failed


# ---- application completeness -------------------------------------------------------------


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def missing_fields(draft: ApplicationDraft) -> list[str]:
    """The API names of every required field ``draft`` lacks (a commitment not signed
    counts as missing).
    """
    missing = [
        name
        for name, value in (
            ("title", draft.title),
            ("reason", draft.reason),
            ("type", draft.kind),
        )
        if _blank(value)
    ]
    if not draft.datasets:
        missing.append("datasets")
    for name, day in (("period_start", draft.period_start), ("period_end", draft.period_end)):
        if day is None:
            missing.append(name)
    missing += [
        name
        for name, value in (
            ("results_form", draft.results_form),
            ("scenario", draft.scenario),
            ("security_measures", draft.security_measures),
        )
        if _blank(value)
    ]
    if draft.commitment_signed is not True:
        missing.append("commitment_signed (the signed commitment must be true)")
    return missing


def check_draft(draft: ApplicationDraft, today: date) -> ApplicationKind:
    """Refuse an incomplete or inconsistent application; return its kind.

    Raises:
        IncompleteApplication: Naming every missing field.
        InvalidRequest: A field is present but wrong (unknown type, period backwards, ...).
    """
    missing = missing_fields(draft)
    if missing:
        raise IncompleteApplication(missing)
    assert draft.kind is not None and draft.period_start and draft.period_end
    try:
        kind = ApplicationKind(draft.kind.strip())
    except ValueError:
        raise InvalidRequest(f"type {draft.kind!r} is not one of: dataset, interface") from None
    for name, text in (
        ("title", draft.title),
        ("reason", draft.reason),
        ("results_form", draft.results_form),
        ("scenario", draft.scenario),
        ("security_measures", draft.security_measures),
    ):
        if text is not None and len(text) > MAX_TEXT_CHARS:
            raise InvalidRequest(f"{name} is longer than {MAX_TEXT_CHARS} characters")
    if len(draft.datasets) > MAX_DATASETS:
        raise InvalidRequest(f"an application may name at most {MAX_DATASETS} datasets")
    if len(set(draft.datasets)) != len(draft.datasets):
        raise InvalidRequest("datasets names a dataset twice")
    check_period(draft.period_start, draft.period_end, today)
    return kind


def check_period(start: date, end: date, today: date) -> None:
    """A period of use runs forwards, has not ended, and is not absurdly long."""
    if end < start:
        raise InvalidRequest(
            f"the period of use ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    if end < today:
        raise InvalidRequest(f"the period of use ended on {end.isoformat()}, in the past")
    if (start - today).days > MAX_PERIOD_DAYS:
        raise InvalidRequest(
            f"the period of use may start at most {MAX_PERIOD_DAYS} days from today"
        )
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidRequest(f"a period of use may last at most {MAX_PERIOD_DAYS} days")


# ---- state transitions --------------------------------------------------------------------


APPLICATION_STEPS: dict[str, ApplicationStatus] = {
    "form review": ApplicationStatus.SUBMITTED,
    "provider decision": ApplicationStatus.PROVIDER_REVIEW,
    "resubmission": ApplicationStatus.RETURNED,
    "re-review request": ApplicationStatus.REFUSED,
    "re-review": ApplicationStatus.RE_REVIEW,
}
"""The state each application step starts from."""

DEMAND_STEPS: dict[str, DemandStatus] = {
    "form review": DemandStatus.SUBMITTED,
    "provider answer": DemandStatus.PROVIDER_REVIEW,
    "opening": DemandStatus.AGREED,
    "re-review request": DemandStatus.REFUSED,
    "re-review": DemandStatus.RE_REVIEW,
}
"""The state each demand step starts from."""

GRANT_STEPS: dict[str, frozenset[GrantStatus]] = {
    "accept": frozenset({GrantStatus.PENDING_ACCEPTANCE}),
    "suspend": frozenset({GrantStatus.ACTIVE}),
    "resume": frozenset({GrantStatus.SUSPENDED}),
    "revoke": frozenset(
        {GrantStatus.PENDING_ACCEPTANCE, GrantStatus.ACTIVE, GrantStatus.SUSPENDED}
    ),
}
"""The states (as read, so never ``expired``) each grant step may start from."""


def require_application_step(step: str, current: ApplicationStatus, ident: int) -> None:
    """Refuse ``step`` unless the application is in the state it starts from."""
    if current is not APPLICATION_STEPS[step]:
        raise Conflict(f"application {ident} is {current}, so its {step} cannot be made")


def require_demand_step(step: str, current: DemandStatus, ident: int) -> None:
    """Refuse ``step`` unless the request is in the state it starts from."""
    if current is not DEMAND_STEPS[step]:
        raise Conflict(f"request {ident} is {current}, so its {step} cannot be made")


def require_grant_step(step: str, current: GrantStatus, ref: str) -> None:
    """Refuse ``step`` unless the grant, as read now, is in a state it starts from."""
    if current not in GRANT_STEPS[step]:
        raise Conflict(f"grant {ref} is {current}, so it cannot be {_past(step)}")


def _past(step: str) -> str:
    return {"accept": "accepted", "suspend": "suspended", "resume": "resumed", "revoke": "revoked"}[
        step
    ]


def grant_status_at(stored: GrantStatus, valid_until: datetime, now: datetime) -> GrantStatus:
    """A grant's status as of ``now``: any unfinished grant past its period is expired.

    This is how expiry is enforced with no job running on a timer: every read asks here.
    """
    if stored in (GrantStatus.REVOKED, GrantStatus.EXPIRED):
        return stored
    return GrantStatus.EXPIRED if now >= valid_until else stored


def grant_gap(grant: Grant, dataset: str, job_kind: JobKind, at: datetime) -> str | None:
    """Why ``grant`` does not cover a ``job_kind`` job on ``dataset`` at ``at``, or None."""
    status = grant_status_at(grant.stored_status, grant.valid_until, at)
    name = f"grant {grant.ref}"
    if dataset not in grant.datasets:
        return f"{name} does not cover dataset {dataset!r}"
    if status is GrantStatus.PENDING_ACCEPTANCE:
        return f"{name} waits for you to accept its agreement"
    if status is GrantStatus.SUSPENDED:
        why = f": {grant.status_reason}" if grant.status_reason else ""
        return f"{name} is suspended by the provider{why}"
    if status is GrantStatus.REVOKED:
        return f"{name} was revoked"
    if status is GrantStatus.EXPIRED:
        return f"{name} expired at the end of {grant.period_end.isoformat()}"
    if at < grant.valid_from:
        return f"{name}'s period of use starts on {grant.period_start.isoformat()}"
    if job_kind not in grant.job_kinds:
        allowed = " and ".join(str(k) for k in grant.job_kinds)
        return f"{name} allows {allowed} jobs only, not {job_kind} jobs"
    return None
