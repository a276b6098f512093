"""What the provider's case pages share: who may open them, a case's open deadline, and
how a refused form comes back.

Every case page is a provider's (``require_console_roles(Role.PROVIDER)``, as the API's
answer and decision routes require); which cases a provider sees and may answer is the
domain's to say (its organisation's, through the same functions the API calls), so a page
can do nothing the API would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Annotated, TypeVar

from sqlalchemy.orm import Session

from api.console.auth import Viewer, require_console_roles
from sandbox.access.model import Stage, StageKind
from sandbox.errors import Conflict, InvalidRequest
from sandbox.identity.model import Actor, Role
from sandbox.oversight.common import org_name
from sandbox.oversight.model import Complaint, Objection

_Case = TypeVar("_Case", Complaint, Objection)

ProviderViewer = Annotated[Viewer, require_console_roles(Role.PROVIDER)]
"""A signed-in provider (the role of the API's decision and answer routes)."""

UNPROCESSABLE = 422
CONFLICT = 409

FORM_ERRORS = (InvalidRequest, Conflict)
"""The refusals a case form shows beside itself; every other error is the error page."""


def error_status(error: InvalidRequest | Conflict) -> int:
    """The API's status for a refused form: 409 for a step out of turn, else 422."""
    return CONFLICT if isinstance(error, Conflict) else UNPROCESSABLE


def open_stage(stages: Iterable[Stage], kind: StageKind) -> Stage | None:
    """The stage of ``kind`` still waiting for its assignee, if any (its deadline is the
    case's).
    """
    for stage in stages:
        if stage.kind is kind and stage.is_open:
            return stage
    return None


def fields_named(message: str, names: Iterable[str]) -> set[str]:
    """The form fields a domain refusal names (its messages name fields as the API body's),
    so the page can mark each beside its input.
    """
    return {name for name in names if re.search(rf"\b{re.escape(name)}\b", message)}


def posted_number(value: str | None, label: str) -> int | None:
    """An optional whole number from a form: ``None`` when blank, else a typed refusal
    naming the field.
    """
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InvalidRequest(f"{label} must be a positive whole number")
    return int(text)


def own_org_name(session: Session, actor: Actor) -> str | None:
    """The name of the provider's organisation: cases name their dataset's provider so."""
    return org_name(session, actor.organisation_id) if actor.organisation_id else None


def by_deadline(cases: Iterable[_Case]) -> list[_Case]:
    """Open cases first, the soonest answer deadline first; then the answered, newest
    first (as the domain lists them).
    """
    listed = list(cases)
    waiting = [c for c in listed if open_stage(c.stages, StageKind.ANSWER) is not None]
    waiting.sort(key=lambda c: _due(c))
    return waiting + [c for c in listed if c not in waiting]


def _due(case: _Case) -> date:
    stage = open_stage(case.stages, StageKind.ANSWER)
    return stage.due_on if stage is not None else date.max
