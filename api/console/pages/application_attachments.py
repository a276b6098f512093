"""An application's proof attachments as its pages show them: the list (with download links
through the API's audited route, ``GET /v1/applications/{id}/attachments/{aid}``) for the
applicant, its provider and the authority, and whether the viewer may attach more (the
applicant while the application is under review, under the domain's limits).

The upload itself goes from the browser to ``POST /v1/applications/{id}/attachments``
(``static/attachments.js``, with the session's CSRF token), so the domain's checks of the
file's kind, size and count are the API's. Anyone else sees no attachments, as from
:func:`sandbox.access.attachments.list_attachments`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sandbox.access import attachments
from sandbox.access.model import Application
from sandbox.errors import NotFound
from sandbox.identity.model import Actor

MIB = 1024 * 1024


def attachments_context(session: Session, actor: Actor, application: Application) -> dict[str, Any]:
    """What the attachments section of an application page shows ``actor``."""
    try:
        found = attachments.list_attachments(session, actor, application.id)
    except NotFound:
        return {"attachments": None, "can_attach": False}
    is_applicant = application.applicant == actor.username
    return {
        "attachments": found,
        "application_id": application.id,
        "can_attach": is_applicant
        and application.status in attachments.OPEN_FOR_PROOF
        and len(found) < attachments.MAX_ATTACHMENTS,
        "attach_closed": is_applicant and application.status not in attachments.OPEN_FOR_PROOF,
        "attach_mib": attachments.MAX_ATTACHMENT_BYTES // MIB,
        "attach_count": attachments.MAX_ATTACHMENTS,
        "attach_types": ",".join(
            (".pdf", ".png", ".jpg", ".jpeg", ".txt", *attachments.MEDIA_TYPES)
        ),
    }
