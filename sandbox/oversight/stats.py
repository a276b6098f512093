"""The platform's own figures (Chengdu art. 41; Lianyungang art. 37): datasets by open
attribute, applications and requests by state, response times against each deadline,
complaints and objections open and overdue, reports missing, and budget spent per
dataset.

Response times come from the workflow stages: for each kind of stage, the working days
from its start to its close (counted with the calendar, the start day not counted, as
deadlines are), their median and worst, and how many met or missed the deadline. Every
account may read the figures; the budget part lists only the datasets whose budget the
caller may read (their provider, and oversight), as ``GET /v1/budgets/{name}`` does.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sandbox.access.model import (
    STAGE_WORKING_DAYS,
    ApplicationStatus,
    DemandStatus,
    GrantStatus,
    StageKind,
    Subject,
)
from sandbox.access.rules import grant_status_at
from sandbox.catalog.model import OpenAttribute
from sandbox.catalog.permissions import OVERSIGHT_ROLES
from sandbox.identity.model import Actor, Role
from sandbox.ledger.model import AccountKind
from sandbox.oversight import law_changes, opening_plan, public_reports
from sandbox.oversight.common import now_or
from sandbox.oversight.governance_stats import governance_figures
from sandbox.oversight.model import (
    BudgetFigures,
    CaseFigures,
    CaseStatus,
    DeadlineFigures,
    Resolution,
    Stats,
)
from sandbox.oversight.products import count_products
from sandbox.oversight.reports import due_for
from sandbox.oversight.usage import dataset_usage
from sandbox.policies.budget import PrivacyCost
from sandbox.store.models import (
    ApplicationRow,
    BudgetAccountRow,
    BudgetChargeRow,
    ComplaintRow,
    DatasetRow,
    DatasetSuspensionRow,
    DemandRow,
    GrantRow,
    ObjectionRow,
    WorkflowStageRow,
)
from sandbox.workdays import WorkCalendar


def _decimal(value: Fraction) -> str:
    return str(Decimal(value.numerator) / Decimal(value.denominator))


def _by(session: Session, column: InstrumentedAttribute[str], values: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(values, 0)
    for value, count in session.execute(select(column, func.count()).group_by(column)):
        counts[str(value)] = int(count)
    return counts


def _deadlines(
    session: Session, calendar: WorkCalendar, now: datetime
) -> tuple[DeadlineFigures, ...]:
    today = calendar.local_date(now)
    taken: dict[tuple[str, str], list[int]] = defaultdict(list)
    met: dict[tuple[str, str], int] = defaultdict(int)
    waiting: dict[tuple[str, str], int] = defaultdict(int)
    late: dict[tuple[str, str], int] = defaultdict(int)
    for row in session.execute(select(WorkflowStageRow)).scalars():
        key = (row.subject_type, row.stage)
        if row.closed_at is None:
            waiting[key] += 1
            late[key] += today > row.due_on
            continue
        closed = row.closed_at
        taken[key].append(
            calendar.working_days_between(
                calendar.local_date(row.started_at), calendar.local_date(closed)
            )
        )
        met[key] += closed < row.due_at
    kinds = [
        (str(Subject.APPLICATION), str(StageKind.FORM_REVIEW)),
        (str(Subject.APPLICATION), str(StageKind.PROVIDER_REVIEW)),
        (str(Subject.DEMAND), str(StageKind.FORM_REVIEW)),
        (str(Subject.DEMAND), str(StageKind.PROVIDER_REVIEW)),
        (str(Subject.DEMAND), str(StageKind.OPENING)),
        (str(Subject.COMPLAINT), str(StageKind.ANSWER)),
        (str(Subject.OBJECTION), str(StageKind.ANSWER)),
    ]
    kinds += sorted((set(taken) | set(waiting)) - set(kinds))
    figures = []
    for subject, stage in kinds:
        days = taken.get((subject, stage), [])
        figures.append(
            DeadlineFigures(
                subject=subject,
                stage=stage,
                working_days_allowed=STAGE_WORKING_DAYS.get(StageKind(stage), 0),
                closed=len(days),
                met=met[(subject, stage)],
                missed=len(days) - met[(subject, stage)],
                open=waiting[(subject, stage)],
                open_overdue=late[(subject, stage)],
                median_working_days=float(statistics.median(days)) if days else None,
                worst_working_days=max(days) if days else None,
            )
        )
    return tuple(figures)


def _cases(
    session: Session,
    table: type[ComplaintRow] | type[ObjectionRow],
    subject: Subject,
    today: object,
) -> CaseFigures:
    counts = _by(session, table.status, [str(s) for s in CaseStatus])
    overdue = session.execute(
        select(func.count())
        .select_from(table)
        .join(
            WorkflowStageRow,
            (WorkflowStageRow.subject_type == str(subject))
            & (WorkflowStageRow.subject_id == table.id),
        )
        .where(
            table.status == str(CaseStatus.OPEN),
            WorkflowStageRow.closed_at.is_(None),
            WorkflowStageRow.due_on < today,
        )
    ).scalar_one()
    return CaseFigures(
        open=counts[str(CaseStatus.OPEN)],
        overdue=int(overdue),
        answered=counts[str(CaseStatus.ANSWERED)],
    )


def _budgets(session: Session, actor: Actor) -> tuple[BudgetFigures, ...]:
    stmt = select(BudgetAccountRow).where(BudgetAccountRow.kind == AccountKind.DATASET.value)
    if actor.role not in OVERSIGHT_ROLES:
        if actor.role is not Role.PROVIDER or actor.organisation_id is None:
            return ()
        own = select(DatasetRow.name).where(DatasetRow.provider_org_id == actor.organisation_id)
        stmt = stmt.where(BudgetAccountRow.dataset_ref.in_(own))
    grant_accounts = dict(
        session.execute(
            select(BudgetAccountRow.dataset_ref, func.count())
            .where(BudgetAccountRow.kind == AccountKind.GRANT.value)
            .group_by(BudgetAccountRow.dataset_ref)
        ).all()
    )
    charges = dict(
        session.execute(
            select(BudgetChargeRow.dataset_ref, func.count()).group_by(BudgetChargeRow.dataset_ref)
        ).all()
    )
    figures = []
    for row in session.execute(stmt.order_by(BudgetAccountRow.dataset_ref)).scalars():
        limit = PrivacyCost.from_units(row.loss_limit, row.delta_limit)
        spent = PrivacyCost.from_units(row.loss_spent, row.delta_spent)
        figures.append(
            BudgetFigures(
                dataset=row.dataset_ref,
                accounting=row.accounting,
                limit_loss=_decimal(limit.loss),
                spent_loss=_decimal(spent.loss),
                limit_delta=_decimal(limit.delta),
                spent_delta=_decimal(spent.delta),
                grant_accounts=int(grant_accounts.get(row.dataset_ref, 0)),
                charges=int(charges.get(row.dataset_ref, 0)),
            )
        )
    return tuple(figures)


def platform_stats(
    session: Session, actor: Actor, calendar: WorkCalendar, *, now: datetime | None = None
) -> Stats:
    """The platform's figures at ``now`` (see the module docstring)."""
    now = now_or(now)
    today = calendar.local_date(now)
    in_force = list(
        session.execute(
            select(DatasetSuspensionRow.dataset_id, DatasetSuspensionRow.resolution).where(
                DatasetSuspensionRow.in_force.is_(True)
            )
        )
    )
    grants = list(session.execute(select(GrantRow)).scalars())
    grant_counts = dict.fromkeys((str(s) for s in GrantStatus), 0)
    for grant in grants:
        grant_counts[str(grant_status_at(GrantStatus(grant.status), grant.valid_until, now))] += 1
    return Stats(
        at=now,
        datasets_by_attribute=_by(
            session, DatasetRow.open_attribute, [str(a) for a in OpenAttribute]
        ),
        datasets_suspended=len({d for d, r in in_force if r != Resolution.ENDED}),
        datasets_withdrawn=len({d for d, r in in_force if r == Resolution.ENDED}),
        applications_by_status=_by(
            session, ApplicationRow.status, [str(s) for s in ApplicationStatus]
        ),
        demands_by_status=_by(session, DemandRow.status, [str(s) for s in DemandStatus]),
        grants_by_status=grant_counts,
        deadlines=_deadlines(session, calendar, now),
        complaints=_cases(session, ComplaintRow, Subject.COMPLAINT, today),
        objections=_cases(session, ObjectionRow, Subject.OBJECTION, today),
        reports_missing=sum(1 for d in due_for(session, calendar, grants, now) if d.missing),
        data_products=count_products(session),
        budgets=_budgets(session, actor),
        dataset_usage=dataset_usage(session, actor),
        governance=governance_figures(session, calendar, now),
        opening_plans=opening_plan.progress(session, calendar, now),
        law_change_tasks=CaseFigures(*law_changes.task_figures(session, calendar, now)),
        public_reports=CaseFigures(*public_reports.report_figures(session, calendar, now)),
    )
