"""SQLAlchemy 2 table models. They stay inside ``sandbox.store`` and the services that use
them; the HTTP layer only ever sees domain objects or schemas built from them.

Every change to these classes needs an Alembic migration under ``migrations/versions``;
``tests/integration/test_migrations.py`` checks that the migrations and the models agree.

The tables are grouped by the part of the domain they serve, one module each; this package
exports every row class so that ``from sandbox.store.models import JobRow`` works
wherever the row is defined.
"""

from sandbox.store.models.access import ApplicationRow, DemandRow, GrantRow, WorkflowStageRow
from sandbox.store.models.audit import AuditEntryRow, AuditHeadRow
from sandbox.store.models.base import Base
from sandbox.store.models.budgets import BudgetAccountRow, BudgetChargeRow, PolicyDocumentRow
from sandbox.store.models.catalog import (
    AttributeChangeRow,
    DatasetRow,
    DatasetVersionRow,
    DesensitisationRow,
    UploadRow,
)
from sandbox.store.models.feedback import DatasetCommentRow, DatasetRatingRow
from sandbox.store.models.governance import QualityAssessmentRow, UpdateReminderRow
from sandbox.store.models.identity import (
    ApiTokenRow,
    EligibilityFactRow,
    LoginSessionRow,
    OrganisationRow,
    UserRow,
)
from sandbox.store.models.jobs import JobRow, ReviewDecisionRow
from sandbox.store.models.notifications import (
    EmailOutboxRow,
    NotificationPreferenceRow,
    NotificationRow,
    NotificationSettingsRow,
)
from sandbox.store.models.oversight import (
    ComplaintEvidenceRow,
    ComplaintRow,
    DataProductRow,
    DatasetSuspensionRow,
    ObjectionRow,
    UsageReportRow,
)
from sandbox.store.models.participation import (
    ApplicationAttachmentRow,
    LawChangeRow,
    LawChangeTaskRow,
    OpeningPlanEntryRow,
    OpeningPlanRow,
    PublicReportRow,
)
from sandbox.store.models.synthetic import SyntheticPreviewRow
from sandbox.store.models.verification import (
    VerificationRecordUsageRow,
    VerificationServiceRow,
    VerificationUsageRow,
)

__all__ = [
    "ApiTokenRow",
    "ApplicationAttachmentRow",
    "ApplicationRow",
    "AttributeChangeRow",
    "AuditEntryRow",
    "AuditHeadRow",
    "Base",
    "BudgetAccountRow",
    "BudgetChargeRow",
    "ComplaintEvidenceRow",
    "ComplaintRow",
    "DataProductRow",
    "DatasetCommentRow",
    "DatasetRatingRow",
    "DatasetRow",
    "DatasetSuspensionRow",
    "DatasetVersionRow",
    "DemandRow",
    "DesensitisationRow",
    "EligibilityFactRow",
    "EmailOutboxRow",
    "GrantRow",
    "JobRow",
    "LawChangeRow",
    "LawChangeTaskRow",
    "LoginSessionRow",
    "NotificationPreferenceRow",
    "NotificationRow",
    "NotificationSettingsRow",
    "ObjectionRow",
    "OpeningPlanEntryRow",
    "OpeningPlanRow",
    "OrganisationRow",
    "PolicyDocumentRow",
    "PublicReportRow",
    "QualityAssessmentRow",
    "ReviewDecisionRow",
    "SyntheticPreviewRow",
    "UpdateReminderRow",
    "UploadRow",
    "UsageReportRow",
    "UserRow",
    "VerificationRecordUsageRow",
    "VerificationServiceRow",
    "VerificationUsageRow",
    "WorkflowStageRow",
]
