"""Factories of the domain objects tests set up directly, below the HTTP layer: actors of
stored users, catalog rows, effective policies and in-memory ledgers with their accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.catalog.grades import Grade
from sandbox.catalog.queries import dataset_row
from sandbox.datasets.publication_review import review_version
from sandbox.identity import service
from sandbox.identity.model import Actor, Role, User
from sandbox.ledger import InMemoryLedger
from sandbox.platform import Platform
from sandbox.policies.budget import Accounting, PrivacyCost
from sandbox.policies.model import Policy, RowCountRules
from sandbox.store.db import transaction
from sandbox.store.models import DatasetRow, DatasetVersionRow, UserRow

# --- identity -----------------------------------------------------------------------------


def actor_of(user: User) -> Actor:
    """The actor a stored user acts as."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        organisation_id=user.organisation_id,
    )


# --- catalog ------------------------------------------------------------------------------

CATALOG: tuple[tuple[str, str], ...] = (
    ("census", "conditional"),
    ("registry", "closed"),
    ("stops", "unconditional"),
)
"""A catalog of one dataset of each open attribute (name, attribute)."""


def add_catalog_rows(
    session: Session,
    provider_org_id: int,
    created_by: int,
    at: datetime,
    datasets: Iterable[tuple[str, str]] = CATALOG,
) -> None:
    """Published catalog entries without data (enough for the access and oversight
    services): each has an empty version 1 the authority passed, graded ``general``."""
    for name, attribute in datasets:
        row = DatasetRow(
            name=name,
            title=name,
            description="",
            provider_org_id=provider_org_id,
            open_attribute=attribute,
            open_conditions="",
            data_format="parquet",
            data_type="table",
            update_frequency="yearly",
            contact="c",
            legal_basis="law",
            privacy_unit=None,
            dictionary=[],
            created_by=created_by,
            created_at=at,
            updated_at=at,
            grade="general",
        )
        session.add(row)
        session.flush()
        session.add(
            DatasetVersionRow(
                dataset_id=row.id,
                version=1,
                storage_path="",
                source_format="parquet",
                row_count=0,
                byte_size=0,
                sha256="",
                quality={"passed": True},
                note="",
                created_by=created_by,
                created_at=at,
                review_status="passed",
                reviewed_at=at,
            )
        )


def pass_review(
    platform: Platform,
    name: str,
    version: int | None = None,
    *,
    grade: Grade | None = Grade.GENERAL,
    authority: Actor | None = None,
) -> None:
    """The authority passes dataset ``name``'s submitted ``version`` (default: every
    submitted one), approving ``grade`` when the dataset has none: the step a real
    deployment takes between registration and use. Without ``authority`` the first
    authority account acts, made (``catalog-authority``) when there is none.
    """
    with transaction(platform.sessions) as session:
        reviewer = authority or _an_authority(session)
        row = dataset_row(session, name)
        numbers = (
            [version]
            if version is not None
            else [
                v.version
                for v in session.execute(
                    select(DatasetVersionRow)
                    .where(
                        DatasetVersionRow.dataset_id == row.id,
                        DatasetVersionRow.review_status == "submitted",
                    )
                    .order_by(DatasetVersionRow.version)
                ).scalars()
            ]
        )
        for number in numbers:
            review_version(
                session,
                platform.calendar,
                reviewer,
                name,
                number,
                passed=True,
                grade=grade if row.grade is None else None,
            )


def _an_authority(session: Session) -> Actor:
    found = session.execute(
        select(UserRow).where(UserRow.role == str(Role.AUTHORITY)).order_by(UserRow.id).limit(1)
    ).scalar_one_or_none()
    if found is not None:
        return Actor(found.id, found.username, Role.AUTHORITY, found.organisation_id)
    made = service.create_user(
        session, Actor.system(), username="catalog-authority", role=Role.AUTHORITY
    )
    return actor_of(made)


# --- policies and the ledger --------------------------------------------------------------

GRANT = "grant-1"
"""The grant reference of :func:`new_ledger`'s grant account."""


def make_policy(
    accounting: Accounting = Accounting.PURE,
    *,
    bound: int = 3,
    unit: str | None = None,
    threshold: int = 0,
    rounding: int = 1,
    cap: str = "5",
    delta: str = "1e-5",
    max_cells: int = 100_000,
) -> Policy:
    """An effective policy (every field set)."""
    return Policy(
        privacy_unit=unit,
        contribution_bound=bound,
        accounting=accounting,
        lifetime_budget=PrivacyCost.of(100),
        grant_budget=PrivacyCost.of(50),
        per_query_cap=PrivacyCost.of(cap, delta),
        delta=Fraction(delta),
        row_count=RowCountRules(
            min_count=1,
            rounding=rounding,
            suppression_threshold=threshold,
            max_output_cells=max_cells,
            no_row_level_output=True,
            dominance_n=2,
            dominance_k=80,
        ),
    )


def new_ledger(
    grant_budget: str = "50",
    lifetime: str = "100",
    accounting: Accounting = Accounting.PURE,
    dataset: str = "census",
    grant: str = GRANT,
) -> InMemoryLedger:
    """The ledger package's in-memory ledger with the grant's and the dataset's accounts."""
    ledger = InMemoryLedger()
    ledger.open_dataset_account(dataset, PrivacyCost.of(lifetime, "0.5"), accounting)
    ledger.open_grant_account(grant, dataset, PrivacyCost.of(grant_budget, "0.1"), accounting)
    return ledger


def charge_events(ledger: InMemoryLedger) -> list[str]:
    """What the ledger did besides opening accounts: charges, refusals, releases."""
    return [
        f"{action}:{outcome}"
        for action, outcome, _ in ledger.events
        if action != "budget.account.open"
    ]
