"""A provider organisation's own data use agreement, accepted beside the platform's.

Qingdao art. 17: on approval an agreement is signed before access opens. The platform's
agreement (:mod:`sandbox.access.agreement`) binds every grant; a provider may add its own
terms for its datasets. A grant's holder then reads and accepts one text, the two in order,
under one combined version (``<platform version>+<organisation id>:<provider version>``) and
hash, so an acceptance always names exactly what was agreed, and a change to either text
asks for a new acceptance.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from sandbox import audit
from sandbox.access.agreement import Agreement
from sandbox.catalog.permissions import require_owner
from sandbox.errors import NotFound
from sandbox.identity.model import Actor
from sandbox.store.models import OrganisationRow

__all__ = ["in_force", "provider_agreement", "set_provider_agreement"]


def _organisation(session: Session, organisation_id: int, *, lock: bool = False) -> OrganisationRow:
    row = session.get(OrganisationRow, organisation_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return row


def provider_agreement(session: Session, organisation_id: int) -> Agreement | None:
    """The organisation's own agreement, or ``None`` when it has none."""
    row = _organisation(session, organisation_id)
    if not row.agreement_text:
        return None
    return Agreement(version=row.agreement_version, text=row.agreement_text)


def set_provider_agreement(
    session: Session, actor: Actor, organisation_id: int, agreement: Agreement | None
) -> Agreement | None:
    """Set (or, with ``None``, withdraw) a provider organisation's own agreement (one of its
    providers). Grants accepted before keep the text they accepted.
    """
    require_owner(actor, organisation_id, "set the agreement of its organisation")
    row = _organisation(session, organisation_id, lock=True)
    row.agreement_version = agreement.version if agreement else ""
    row.agreement_text = agreement.text if agreement else ""
    session.flush()
    audit.record(
        session,
        actor,
        "organisation.agreement",
        object_type="organisation",
        object_id=organisation_id,
        detail={
            "version": agreement.version if agreement else None,
            "sha256": agreement.sha256 if agreement else None,
        },
    )
    return agreement


def in_force(session: Session, platform: Agreement, organisation_id: int) -> Agreement:
    """What a grant of ``organisation_id``'s datasets is accepted under: the platform's
    agreement, followed by the provider's own where it has one.
    """
    own = provider_agreement(session, organisation_id)
    if own is None:
        return platform
    name = _organisation(session, organisation_id).name
    text = (
        f"{platform.text.rstrip()}\n\n---\n\n"
        f"# {name}: additional terms (version {own.version})\n\n{own.text.strip()}\n"
    )
    version = f"{platform.version}+{organisation_id}:{own.version}"
    if len(version) > 64:  # a version names the text: the hash names it as well
        version = f"combined-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}"
    return Agreement(version=version, text=text)
