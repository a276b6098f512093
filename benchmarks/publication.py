"""The authority's pass of a benchmark's registrations (Qingdao art. 10, 12): every new
dataset and version is used only once the authority passed it, so a benchmark that
registers through the platform passes its submissions as an authority account of its own
(``bench_authority``), as a deployment's authority does before anyone may use them.
"""

from __future__ import annotations

from sqlalchemy import select

from sandbox.catalog.grades import Grade
from sandbox.catalog.model import ReviewStatus
from sandbox.catalog.queries import dataset_row
from sandbox.datasets.publication_review import review_version
from sandbox.identity import service
from sandbox.identity.model import Actor, Role
from sandbox.platform import Platform
from sandbox.store.db import transaction
from sandbox.store.models import DatasetVersionRow, UserRow

AUTHORITY = "bench_authority"


def publish(platform: Platform, name: str, grade: Grade = Grade.GENERAL) -> None:
    """Pass every submitted version of dataset ``name``, approving ``grade`` when it has
    none.
    """
    with transaction(platform.sessions) as session:
        user = session.execute(
            select(UserRow).where(UserRow.username == AUTHORITY)
        ).scalar_one_or_none()
        if user is None:
            made = service.create_user(
                session, Actor.system(), username=AUTHORITY, role=Role.AUTHORITY
            )
            actor = Actor(made.id, AUTHORITY, Role.AUTHORITY)
        else:
            actor = Actor(user.id, AUTHORITY, Role.AUTHORITY)
        row = dataset_row(session, name)
        waiting = session.execute(
            select(DatasetVersionRow.version)
            .where(
                DatasetVersionRow.dataset_id == row.id,
                DatasetVersionRow.review_status == str(ReviewStatus.SUBMITTED),
            )
            .order_by(DatasetVersionRow.version)
        ).scalars()
        for version in list(waiting):
            review_version(
                session,
                platform.calendar,
                actor,
                name,
                version,
                passed=True,
                grade=grade if row.grade is None else None,
            )
