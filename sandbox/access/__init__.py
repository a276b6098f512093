"""The access workflow: applications for conditional data, grants, requests for data not
yet open, and their deadlines in working days (REQUIREMENTS.md, "Applying for conditional
data" and "Requests for data not yet open").

- :mod:`model`, :mod:`rules`, :mod:`errors`: value types and pure rules;
- :mod:`applications`: submission (eligibility, completeness), form review, decision;
- :mod:`grants`: grants, the agreement that activates them, suspension, expiry and
  :func:`~sandbox.access.grants.active_grant_for`, which jobs call before they run;
- :mod:`demands`: requests for data not yet open;
- :mod:`stages`, :mod:`overdue`: stages with their deadlines, and the overdue list;
- :mod:`agreement`: the data use agreement text.

Services take a session and the acting :class:`~sandbox.identity.model.Actor`, and audit
every step in the caller's transaction. Working days come from :mod:`sandbox.workdays`.
"""

from sandbox.access.errors import IncompleteApplication, NoActiveGrant, NotEligible
from sandbox.access.model import (
    Application,
    ApplicationDraft,
    ApplicationKind,
    ApplicationStatus,
    Demand,
    DemandStatus,
    Grant,
    GrantStatus,
    JobKind,
    OverdueItem,
    Stage,
    StageKind,
    Subject,
)

__all__ = [
    "Application",
    "ApplicationDraft",
    "ApplicationKind",
    "ApplicationStatus",
    "Demand",
    "DemandStatus",
    "Grant",
    "GrantStatus",
    "IncompleteApplication",
    "JobKind",
    "NoActiveGrant",
    "NotEligible",
    "OverdueItem",
    "Stage",
    "StageKind",
    "Subject",
]
