"""Response schema of an application's proof attachments."""

from __future__ import annotations

from datetime import datetime

from api.schemas.common import FromDomain


class AttachmentPublic(FromDomain):
    """A proof file attached to an application (its record; the bytes are read apart)."""

    id: int
    application_id: int
    filename: str
    media_type: str
    byte_size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
