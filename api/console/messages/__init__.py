"""The console's message tables, one module per area; :mod:`api.console.i18n` merges them.

A new area adds its module here and to :data:`AREAS`; its keys start with the area's name
(``catalog.``, ``dataset.``) so two areas never pick the same key.
"""

from collections.abc import Mapping

from api.console.messages import (
    auditor,
    authority,
    authority_governance,
    catalog,
    common,
    dashboard,
    dataset,
    errors,
    feedback,
    inbox,
    participation,
    plans_tasks_reports,
    provider_cases,
    provider_data,
    research,
    review,
    signin,
    verification,
)
from api.console.text import Text

AREAS: tuple[Mapping[str, Text], ...] = (
    common.MESSAGES,
    errors.MESSAGES,
    catalog.MESSAGES,
    dataset.MESSAGES,
    signin.MESSAGES,
    authority.MESSAGES,
    authority_governance.MESSAGES,
    dashboard.MESSAGES,
    auditor.MESSAGES,
    research.MESSAGES,
    review.MESSAGES,
    provider_cases.MESSAGES,
    provider_data.MESSAGES,
    inbox.MESSAGES,
    participation.MESSAGES,
    plans_tasks_reports.MESSAGES,
    verification.MESSAGES,
    feedback.MESSAGES,
)
