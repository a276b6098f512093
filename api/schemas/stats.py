"""Response schemas of the platform's own figures."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import FromDomain
from sandbox.access.model import StageKind, Subject
from sandbox.policies.budget import Accounting


class DeadlineFiguresPublic(FromDomain):
    """Response times of one kind of stage against its deadline, in working days."""

    subject: Subject
    stage: StageKind
    working_days_allowed: int
    closed: int
    met: int
    missed: int
    open: int
    open_overdue: int
    median_working_days: float | None
    worst_working_days: int | None


class CaseFiguresPublic(FromDomain):
    """Complaints or objections: open, overdue and answered."""

    open: int
    overdue: int
    answered: int


class BudgetFiguresPublic(FromDomain):
    """A dataset's lifetime budget: limit and spent (exact decimals), and its charges."""

    dataset: str
    accounting: Accounting
    limit_loss: str
    spent_loss: str
    limit_delta: str
    spent_delta: str
    grant_accounts: int
    charges: int


class DatasetUsagePublic(FromDomain):
    """How much one dataset is used: counted views, applications, jobs, downloads and
    its users' ratings.
    """

    dataset: str
    views: int
    applications: int
    jobs: int
    downloads: int
    ratings: int
    average_rating: float | None
    verification_calls: int
    """Calls of the dataset's verification services (Qingdao art. 13)."""
    verified_records: int


class PlanProgressPublic(FromDomain):
    """A published opening plan's progress: entries met (on time, late), pending, overdue."""

    organisation: str
    year: int
    entries: int
    met: int
    met_late: int
    pending: int
    overdue: int


class GovernanceFiguresPublic(FromDomain):
    """Catalog governance: datasets by grade (``ungraded``, ``proposals`` waiting), versions
    by publication review state (``overdue`` past the 2 working days), quality assessments
    by state (``overdue``, ``reminders`` sent), datasets past their update frequency.
    """

    grades: dict[str, int]
    publication: dict[str, int]
    quality: dict[str, int]
    stale_datasets: int


class StatsPublic(FromDomain):
    """The platform's own figures."""

    at: datetime
    datasets_by_attribute: dict[str, int]
    datasets_suspended: int
    datasets_withdrawn: int
    applications_by_status: dict[str, int]
    demands_by_status: dict[str, int]
    grants_by_status: dict[str, int]
    deadlines: list[DeadlineFiguresPublic]
    complaints: CaseFiguresPublic
    objections: CaseFiguresPublic
    reports_missing: int
    data_products: int
    budgets: list[BudgetFiguresPublic]
    dataset_usage: list[DatasetUsagePublic]
    governance: GovernanceFiguresPublic | None
    opening_plans: list[PlanProgressPublic]
    law_change_tasks: CaseFiguresPublic
    """Catalog updates owed after a change of law (``answered``: closed)."""
    public_reports: CaseFiguresPublic
