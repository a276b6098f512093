"""Grants: the scope an approval opens, the agreement that activates it, and its life.

- An approval creates the grant as ``pending_acceptance`` with its scope: datasets, job
  kinds (``dp`` and/or ``raw``), a grant policy document (its ``grant_budget`` and any
  stricter rules, never looser than the floor or a dataset's effective policy) and the
  period of use.
- The grant's holder accepts the agreement in force (its version, hash and text are
  recorded); the grant becomes ``active`` and its budget accounts are opened in the
  ledger in the same transaction, so the DP engine can charge it.
- The provider may suspend, resume and revoke it. Past its period a grant reads as
  ``expired`` (:func:`sandbox.access.rules.grant_status_at`): nothing has to run on a timer.
- :func:`active_grant_for` is what jobs ask before they run.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access.agreement import Agreement
from sandbox.access.eligibility import check_eligibility
from sandbox.access.errors import NoActiveGrant
from sandbox.access.grant_rows import grant_of, grants_of
from sandbox.access.model import Grant, GrantStatus, JobKind
from sandbox.access.provider_agreement import in_force
from sandbox.access.rules import (
    MAX_TEXT_CHARS,
    check_period,
    grant_gap,
    grant_status_at,
    require_grant_step,
)
from sandbox.catalog.permissions import OVERSIGHT_ROLES, owns, require_owner
from sandbox.catalog.suspension import is_suspended
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.ledger import sql as ledger
from sandbox.policies import (
    Policy,
    PolicyLevel,
    PolicyViolation,
    find_loosenings,
    load_text,
    parse_policy,
    to_dict,
)
from sandbox.policy_store import effective_for_dataset
from sandbox.store.models import ApplicationRow, GrantRow
from sandbox.workdays import WorkCalendar

DEFAULT_REPORT_INTERVAL_DAYS = 90
"""Report interval of a grant whose approval does not set one."""
MAX_REPORT_INTERVAL_DAYS = 366


@dataclass(frozen=True)
class Scope:
    """What a provider approves (Wuxi art. 15: approval states the use and scope)."""

    grant_budget: object
    """The grant's privacy budget: a number, exact decimal text, or ``{loss, delta}``."""
    datasets: tuple[str, ...] = ()
    """A subset of the requested datasets; empty: all of them."""
    job_kinds: tuple[str, ...] = ("dp",)
    """``dp`` and/or ``raw``."""
    policy: Mapping[str, Any] | str | None = None
    """Further grant policy rules (row counts, caps, limits), never looser than the
    dataset's."""
    period_start: date | None = None
    """Within the requested period; ``None``: the requested start."""
    period_end: date | None = None
    """Within the requested period; ``None``: the requested end."""
    report_interval_days: int = DEFAULT_REPORT_INTERVAL_DAYS
    """Days between the usage and risk reports the holder owes (Qingdao art. 7; Xi'an
    art. 25)."""


def _now(now: datetime | None) -> datetime:
    return now or utc_now()


# ---- creation (on approval) ----------------------------------------------------------------


def _scope_datasets(requested: list[str], approved: tuple[str, ...]) -> list[str]:
    if not approved:
        return list(requested)
    if len(set(approved)) != len(approved):
        raise InvalidRequest("the approved datasets name a dataset twice")
    extra = [name for name in approved if name not in requested]
    if extra:
        raise InvalidRequest(
            f"the approval may only cover requested datasets; not requested: {', '.join(extra)}"
        )
    return list(approved)


def _job_kinds(values: tuple[str, ...]) -> list[JobKind]:
    if not values:
        raise InvalidRequest("an approval allows at least one job kind: dp and/or raw")
    kinds = [parse_enum(JobKind, value, "job kind") for value in values]
    return [kind for kind in JobKind if kind in kinds]


def _grant_policy(scope: Scope) -> Policy:
    document: object = scope.policy or {}
    if isinstance(document, str):
        document = load_text(document) or {}
    if not isinstance(document, Mapping):
        raise InvalidRequest("the grant's policy must be a policy document (a mapping)")
    if "grant_budget" in document:
        raise InvalidRequest(
            "give the grant's budget as the scope's grant_budget, not inside its policy document"
        )
    if scope.grant_budget is None:
        raise InvalidRequest("an approval states the grant's privacy budget (grant_budget)")
    return parse_policy({**document, "grant_budget": scope.grant_budget}, PolicyLevel.GRANT)


def _check_against_datasets(
    session: Session, names: list[str], policy: Policy, kinds: list[JobKind]
) -> None:
    """A grant is never looser than any of its datasets' effective policy (which is itself
    never looser than the floor, and has the platform defaults filled in).
    """
    for name in names:
        found = find_loosenings(
            effective_for_dataset(session, name),
            policy,
            base_name=f"dataset {name!r}'s effective policy",
        )
        if found:
            raise PolicyViolation(
                found, subject="the grant", against=f"the effective policy of dataset {name!r}"
            )
        with_grant = effective_for_dataset(session, name, policy)
        if JobKind.RAW in kinds and not with_grant.job_limits.raw_access_allowed:
            raise InvalidRequest(
                f"the policy of dataset {name!r} does not allow raw-access "
                "jobs; allow dp jobs only, or have its policy allow raw access"
            )


def create_grant(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    application: ApplicationRow,
    scope: Scope,
    *,
    now: datetime,
) -> Grant:
    """Create the grant of an approved application, pending its holder's acceptance."""
    names = _scope_datasets(application.datasets, scope.datasets)
    kinds = _job_kinds(scope.job_kinds)
    start = scope.period_start or application.period_start
    end = scope.period_end or application.period_end
    check_period(start, end, calendar.local_date(now))
    if start < application.period_start or end > application.period_end:
        raise InvalidRequest(
            f"the approved period must lie within the requested one "
            f"({application.period_start.isoformat()} to {application.period_end.isoformat()})"
        )
    policy = _grant_policy(scope)
    _check_against_datasets(session, names, policy, kinds)
    interval = scope.report_interval_days
    if type(interval) is not int or not 1 <= interval <= MAX_REPORT_INTERVAL_DAYS:
        raise InvalidRequest(
            f"report_interval_days must be a whole number of days from 1 to "
            f"{MAX_REPORT_INTERVAL_DAYS}"
        )
    if actor.user_id is None:
        raise PermissionDenied("grants are approved by a named provider account")
    row = GrantRow(
        ref=f"pending-{uuid.uuid4().hex}",
        application_id=application.id,
        holder_id=application.applicant_id,
        provider_org_id=application.provider_org_id,
        datasets=names,
        job_kinds=[str(kind) for kind in kinds],
        policy=to_dict(policy),
        period_start=start,
        period_end=end,
        valid_from=calendar.start_of_day(start),
        valid_until=calendar.end_of_day(end),
        status=str(GrantStatus.PENDING_ACCEPTANCE),
        status_reason="",
        approved_by=actor.user_id,
        created_at=now,
        updated_at=now,
        report_interval_days=interval,
    )
    session.add(row)
    session.flush()
    row.ref = f"grant-{row.id}"
    session.flush()
    audit.record(
        session,
        actor,
        "grant.create",
        object_type="grant",
        object_id=row.ref,
        detail={
            "application_id": application.id,
            "datasets": names,
            "job_kinds": row.job_kinds,
            "policy": row.policy,
            "period": [start.isoformat(), end.isoformat()],
            "report_interval_days": interval,
        },
    )
    return grant_of(session, row, now)


# ---- acceptance and the ledger -------------------------------------------------------------


def _visible_row(session: Session, actor: Actor, grant_id: int, *, lock: bool = False) -> GrantRow:
    row = session.get(GrantRow, grant_id, with_for_update=lock)
    if row is None or not can_see(actor, row):
        raise NotFound(f"grant {grant_id} does not exist")
    return row


def _open_accounts(session: Session, actor: Actor, row: GrantRow) -> None:
    """Open the grant's budget account on each dataset, and the dataset's lifetime account
    if it has none yet (an existing one is kept as it is: other grants spend from it).
    """
    policy = parse_policy(row.policy, PolicyLevel.GRANT)
    for name in row.datasets:
        effective = effective_for_dataset(session, name, policy)
        assert effective.lifetime_budget and effective.grant_budget and effective.accounting
        try:
            ledger.account(session, dataset=name)
        except NotFound:
            ledger.open_dataset_account(
                session,
                dataset=name,
                limit=effective.lifetime_budget,
                accounting=effective.accounting,
                actor=actor,
            )
        ledger.open_grant_account(
            session,
            grant=row.ref,
            dataset=name,
            limit=effective.grant_budget,
            accounting=effective.accounting,
            actor=actor,
        )


def agreement_for(session: Session, actor: Actor, agreement: Agreement, grant_id: int) -> Agreement:
    """The agreement the grant's holder is asked to accept (anyone who sees the grant may
    read it).
    """
    row = _visible_row(session, actor, grant_id)
    return in_force(session, agreement, row.provider_org_id)


def accept(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    grant_id: int,
    *,
    version: str,
    sha256: str | None = None,
    now: datetime | None = None,
) -> Grant:
    """The holder accepts the agreement in force: the grant becomes active and its budget
    accounts open. The version (and hash, when given) must be those of the text in force,
    and the holder must still be eligible.
    """
    now = _now(now)
    row = _visible_row(session, actor, grant_id, lock=True)
    if row.holder_id != actor.user_id:
        raise PermissionDenied("only the grant's holder may accept its agreement")
    agreement = in_force(session, agreement, row.provider_org_id)
    check_eligibility(session, actor, "take up")  # the facts may have changed since applying
    require_grant_step(
        "accept", grant_status_at(GrantStatus(row.status), row.valid_until, now), row.ref
    )
    if version != agreement.version:
        raise Conflict(
            f"the agreement in force is version {agreement.version!r}, not "
            f"{version!r}; read it again and accept that version"
        )
    if sha256 is not None and sha256 != agreement.sha256:
        raise Conflict("the agreement text you read is not the one in force; read it again")
    row.status = str(GrantStatus.ACTIVE)
    row.agreement_version = agreement.version
    row.agreement_sha256 = agreement.sha256
    row.agreement_text = agreement.text
    row.accepted_at = now
    row.updated_at = now
    session.flush()
    _open_accounts(session, actor, row)
    audit.record(
        session,
        actor,
        "grant.accept",
        object_type="grant",
        object_id=row.ref,
        detail={
            "agreement_version": agreement.version,
            "agreement_sha256": agreement.sha256,
            "datasets": row.datasets,
        },
    )
    return grant_of(session, row, now)


# ---- the provider's controls ---------------------------------------------------------------


def change_status(
    session: Session,
    actor: Actor,
    grant_id: int,
    step: str,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Grant:
    """``suspend``, ``resume`` or ``revoke`` a grant (a provider of its organisation).

    Suspension and revocation state their reason; every change is audited.
    """
    now = _now(now)
    targets = {
        "suspend": GrantStatus.SUSPENDED,
        "resume": GrantStatus.ACTIVE,
        "revoke": GrantStatus.REVOKED,
    }
    if step not in targets:
        raise InvalidRequest(f"{step!r} is not one of: {', '.join(targets)}")
    row = _visible_row(session, actor, grant_id, lock=True)
    require_owner(actor, row.provider_org_id, f"{step} grants on its datasets")
    require_grant_step(
        step, grant_status_at(GrantStatus(row.status), row.valid_until, now), row.ref
    )
    reason = reason.strip()
    if len(reason) > MAX_TEXT_CHARS:
        raise InvalidRequest(f"reason is longer than {MAX_TEXT_CHARS} characters")
    if step != "resume" and not reason:
        raise InvalidRequest(f"to {step} a grant, state the reason")
    row.status = str(targets[step])
    row.status_reason = reason
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        f"grant.{step}",
        object_type="grant",
        object_id=row.ref,
        detail={"reason": reason, "holder_id": row.holder_id},
    )
    return grant_of(session, row, now)


# ---- reading -------------------------------------------------------------------------------


def can_see(actor: Actor, row: GrantRow) -> bool:
    """The holder, providers of the grant's organisation, and oversight see a grant."""
    return (
        row.holder_id == actor.user_id
        or owns(actor, row.provider_org_id)
        or actor.role in OVERSIGHT_ROLES
    )


def get_grant(
    session: Session, actor: Actor, grant_id: int, *, now: datetime | None = None
) -> Grant:
    """One grant the actor may see (else :class:`NotFound`), its status as of now."""
    return grant_of(session, _visible_row(session, actor, grant_id), _now(now))


def list_grants(
    session: Session,
    actor: Actor,
    *,
    status: GrantStatus | None = None,
    now: datetime | None = None,
) -> list[Grant]:
    """The grants the actor may see, newest first; ``status`` filters on the status as
    read now (so ``expired`` finds grants past their period).
    """
    stmt = select(GrantRow).order_by(GrantRow.id.desc())
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is Role.PROVIDER and actor.organisation_id is not None:
            stmt = stmt.where(GrantRow.provider_org_id == actor.organisation_id)
        else:
            stmt = stmt.where(GrantRow.holder_id == actor.user_id)
    moment = _now(now)
    found = grants_of(session, stmt, moment)
    return [g for g in found if status is None or g.status is status]


def active_grant_for(
    session: Session,
    user: int,
    dataset: str,
    job_kind: JobKind | str,
    at: datetime | None = None,
    *,
    grant_ref: str | None = None,
) -> Grant:
    """The active grant under which user ``user`` may run a ``job_kind`` job on ``dataset``
    at ``at`` (default now); with ``grant_ref``, that grant only.

    A dataset its provider suspended (:func:`sandbox.catalog.suspension.is_suspended`)
    is refused under every grant.

    Raises:
        NoActiveGrant: No grant covers the use; the message gives each grant's reason.
    """
    kind = parse_enum(JobKind, job_kind, "job kind")
    moment = _now(at)
    suspension = is_suspended(session, dataset)
    if suspension is not None:
        raise NoActiveGrant(suspension.refusal())
    stmt = select(GrantRow).where(GrantRow.holder_id == user).order_by(GrantRow.id.desc())
    if grant_ref is not None:
        stmt = stmt.where(GrantRow.ref == grant_ref)
    grants = grants_of(session, stmt, moment)
    candidates = [g for g in grants if dataset in g.datasets or grant_ref is not None]
    if not candidates:
        if grant_ref is not None:
            raise NoActiveGrant(f"you hold no grant {grant_ref!r}")
        raise NoActiveGrant(f"you hold no grant on dataset {dataset!r}; apply for it first")
    reasons = []
    for grant in candidates:
        gap = grant_gap(grant, dataset, kind, moment)
        if gap is None:
            return grant
        reasons.append(gap)
    raise NoActiveGrant(
        f"no active grant allows a {kind} job on dataset {dataset!r}: " + "; ".join(reasons)
    )
