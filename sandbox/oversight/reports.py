"""Usage reports and periodic risk reports from holders of grants (Qingdao art. 7; Xi'an
art. 25), and the lazily computed list of reports due.

A grant's holder owes both kinds of report every ``report_interval_days`` (set by the
approval; 90 by default): a ``usage`` report (use, results, benefits) and a ``risk``
report (kinds and amounts of data used, processing done, risks met, measures taken).
The next report of a kind is due on the day of the last one, or of the grant's
activation, plus the interval (calendar days, in the calendar's time zone). Nothing runs on
a timer: :func:`reports_due` computes it when read, and a grant that is active or
suspended with its day passed is flagged ``missing``. What the provider then does is in
:mod:`sandbox.oversight.enforcement`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import audit
from sandbox._parse import parse_enum
from sandbox.access import grants as grant_service
from sandbox.access.model import GrantStatus
from sandbox.access.rules import MAX_TEXT_CHARS, grant_status_at
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.identity.model import Actor, Role
from sandbox.oversight.common import now_or, org_name, username
from sandbox.oversight.model import REPORT_FIELDS, ReportDue, ReportKind, UsageReport
from sandbox.store.models import GrantRow, UsageReportRow
from sandbox.workdays import WorkCalendar

REPORTING_STATUSES = frozenset({GrantStatus.ACTIVE, GrantStatus.SUSPENDED, GrantStatus.EXPIRED})
"""States of a grant under which its holder may file reports (a final one after expiry)."""
OWING_STATUSES = frozenset({GrantStatus.ACTIVE, GrantStatus.SUSPENDED})
"""States of a grant under which reports fall due (and are flagged when missing)."""


def submit(
    session: Session,
    actor: Actor,
    *,
    grant_id: int,
    kind: str,
    fields: Mapping[str, str | None],
    now: datetime | None = None,
) -> UsageReport:
    """File a report on a grant (its holder); every field of its kind is required and
    fields of the other kind are refused.
    """
    now = now_or(now)
    row = session.get(GrantRow, grant_id)
    if row is None or not grant_service.can_see(actor, row):
        raise NotFound(f"grant {grant_id} does not exist")
    if row.holder_id != actor.user_id:
        raise PermissionDenied("only the grant's holder files its reports")
    status = grant_status_at(GrantStatus(row.status), row.valid_until, now)
    if status not in REPORTING_STATUSES:
        raise Conflict(
            f"grant {row.ref} is {status}; reports are filed on grants that were "
            "accepted and not revoked"
        )
    parsed = parse_enum(ReportKind, kind, "kind")
    wanted = REPORT_FIELDS[parsed]
    given = {name: (value or "").strip() for name, value in fields.items()}
    foreign = sorted(name for name, value in given.items() if value and name not in wanted)
    if foreign:
        raise InvalidRequest(
            f"a {parsed} report has no field(s): {', '.join(foreign)}; its "
            f"fields are {', '.join(wanted)}"
        )
    missing = [name for name in wanted if not given.get(name)]
    if missing:
        raise InvalidRequest(f"the {parsed} report is incomplete; missing: " + ", ".join(missing))
    too_long = [name for name in wanted if len(given[name]) > MAX_TEXT_CHARS]
    if too_long:
        raise InvalidRequest(f"longer than {MAX_TEXT_CHARS} characters: {', '.join(too_long)}")
    report = UsageReportRow(
        grant_id=row.id,
        kind=str(parsed),
        content={name: given[name] for name in wanted},
        submitted_by=actor.user_id,
        submitted_at=now,
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor,
        "report.submit",
        object_type="grant",
        object_id=row.ref,
        detail={"report_id": report.id, "kind": str(parsed)},
    )
    return report_of(session, report, row)


def _visible_grants(session: Session, actor: Actor) -> list[GrantRow]:
    stmt = select(GrantRow).order_by(GrantRow.id)
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is Role.PROVIDER and actor.organisation_id is not None:
            stmt = stmt.where(GrantRow.provider_org_id == actor.organisation_id)
        else:
            stmt = stmt.where(GrantRow.holder_id == actor.user_id)
    return list(session.execute(stmt).scalars())


def list_reports(
    session: Session, actor: Actor, *, grant_id: int | None = None, kind: str | None = None
) -> list[UsageReport]:
    """The reports on grants the actor may see, newest first."""
    grants = {g.id: g for g in _visible_grants(session, actor)}
    if grant_id is not None:
        if grant_id not in grants:
            raise NotFound(f"grant {grant_id} does not exist")
        grants = {grant_id: grants[grant_id]}
    if not grants:
        return []
    stmt = (
        select(UsageReportRow)
        .where(UsageReportRow.grant_id.in_(list(grants)))
        .order_by(UsageReportRow.id.desc())
    )
    if kind is not None:
        stmt = stmt.where(UsageReportRow.kind == str(parse_enum(ReportKind, kind, "kind")))
    return [report_of(session, r, grants[r.grant_id]) for r in session.execute(stmt).scalars()]


def get_report(session: Session, actor: Actor, report_id: int) -> UsageReport:
    """One report on a grant the actor may see (else :class:`NotFound`)."""
    report = session.get(UsageReportRow, report_id)
    grant = session.get(GrantRow, report.grant_id) if report is not None else None
    if report is None or grant is None or not grant_service.can_see(actor, grant):
        raise NotFound(f"report {report_id} does not exist")
    return report_of(session, report, grant)


def reports_due(
    session: Session,
    actor: Actor,
    calendar: WorkCalendar,
    *,
    missing_only: bool = False,
    now: datetime | None = None,
) -> list[ReportDue]:
    """When each report is due on the grants the actor may see that owe reports; the
    missing ones first, most overdue first.
    """
    found = due_for(session, calendar, _visible_grants(session, actor), now_or(now))
    if missing_only:
        found = [d for d in found if d.missing]
    return sorted(found, key=lambda d: (not d.missing, d.due_on, d.grant_id, d.kind))


def due_for(
    session: Session, calendar: WorkCalendar, grants: Iterable[GrantRow], now: datetime
) -> list[ReportDue]:
    """The report deadlines of ``grants`` (those that owe reports) at ``now``."""
    today = calendar.local_date(now)
    items = []
    for grant in grants:
        status = grant_status_at(GrantStatus(grant.status), grant.valid_until, now)
        if status not in OWING_STATUSES or grant.accepted_at is None:
            continue
        holder = username(session, grant.holder_id) or "?"
        provider = org_name(session, grant.provider_org_id)
        last_by_kind = dict(
            session.execute(
                select(UsageReportRow.kind, func.max(UsageReportRow.submitted_at))
                .where(UsageReportRow.grant_id == grant.id)
                .group_by(UsageReportRow.kind)
            ).all()
        )
        for kind in ReportKind:
            last = last_by_kind.get(str(kind))
            last_at = last if last is not None else None
            base = last_at or grant.accepted_at
            due_on = calendar.local_date(base) + timedelta(days=grant.report_interval_days)
            missing = today > due_on
            items.append(
                ReportDue(
                    grant_id=grant.id,
                    grant_ref=grant.ref,
                    holder=holder,
                    provider_org=provider,
                    grant_status=str(status),
                    kind=kind,
                    interval_days=grant.report_interval_days,
                    last_report_at=last_at,
                    due_on=due_on,
                    missing=missing,
                    days_overdue=(today - due_on).days if missing else 0,
                )
            )
    return items


def report_of(session: Session, row: UsageReportRow, grant: GrantRow) -> UsageReport:
    """A report row as the domain sees it."""
    return UsageReport(
        id=row.id,
        grant_id=grant.id,
        grant_ref=grant.ref,
        kind=ReportKind(row.kind),
        content=dict(row.content),
        submitted_by=username(session, row.submitted_by) or "?",
        submitted_at=row.submitted_at,
    )
