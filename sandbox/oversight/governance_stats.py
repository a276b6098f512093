"""The catalog governance part of the statistics (Chengdu art. 41; Lianyungang art. 37):
datasets by grade, versions by publication review state, quality assessments, update
reminders sent, and datasets past their update frequency.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sandbox.catalog.grades import grade_counts
from sandbox.catalog.model import UpdateFrequency
from sandbox.datasets.publication_review import publication_counts
from sandbox.oversight.model import GovernanceFigures
from sandbox.oversight.quality_duties import quality_counts
from sandbox.oversight.update_reminders import newest_passed
from sandbox.workdays import WorkCalendar


def governance_figures(
    session: Session, calendar: WorkCalendar, now: datetime
) -> GovernanceFigures:
    """The catalog governance part of the statistics: grades, publication reviews, quality
    assessments, update reminders and stale datasets (Chengdu art. 41; Lianyungang art. 37).
    """
    stale = sum(
        1
        for dataset, version in newest_passed(session)
        if version.created_at + UpdateFrequency(dataset.update_frequency).max_age < now
    )
    return GovernanceFigures(
        grades=grade_counts(session),
        publication=publication_counts(session, calendar, now),
        quality=quality_counts(session, calendar, now),
        stale_datasets=stale,
    )
