"""Pure catalog rules: open-attribute changes and staleness. No I/O here.

Sources: a change toward a stricter attribute needs the authority's approval and a legal
basis (Wuxi art. 8; Qingdao art. 11); not-open data may open only after recorded
desensitisation or the rights holder's consent (Wuxi art. 8; Qingdao art. 11;
Lianyungang art. 7; Xi'an art. 18); not-open needs its legal basis (Qingdao art. 9).
"""

from __future__ import annotations

from datetime import datetime

from sandbox.catalog.model import OpenAttribute, UpdateFrequency
from sandbox.errors import InvalidRequest


def check_registration_attribute(attribute: OpenAttribute, legal_basis: str) -> None:
    """A not-open entry must state the legal basis for keeping it closed."""
    if attribute is OpenAttribute.CLOSED and not legal_basis.strip():
        raise InvalidRequest(
            "a not-open (closed) dataset needs the legal basis for not opening it "
            "(Qingdao art. 9); set legal_basis"
        )


def check_attribute_change(
    *,
    current: OpenAttribute,
    requested: OpenAttribute,
    legal_basis: str,
    has_desensitisation: bool,
    consent_reference: str,
) -> None:
    """Refuse a change request that can never be approved, naming the rule it breaks.

    Every allowed change still waits for the authority's approval; this only decides
    whether the request may be filed.
    """
    if current is requested:
        raise InvalidRequest(f"the dataset is already {current}")
    if requested.strictness > current.strictness and not legal_basis.strip():
        raise InvalidRequest(
            f"changing {current} to the stricter {requested} needs a legal basis "
            "(Wuxi art. 8; Qingdao art. 11)"
        )
    if current is OpenAttribute.CLOSED and not (has_desensitisation or consent_reference.strip()):
        raise InvalidRequest(
            "not-open data may be opened only after a recorded desensitisation or with the "
            "rights holder's consent (Wuxi art. 8; Qingdao art. 11); give desensitisation_id "
            "or consent_reference"
        )


def is_stale(frequency: UpdateFrequency, last_version_at: datetime | None, now: datetime) -> bool:
    """Whether the newest data is older than the promised update frequency allows.

    An entry with no data at all is stale: it promises data it does not have.
    """
    if last_version_at is None:
        return True
    return now - last_version_at > frequency.max_age
