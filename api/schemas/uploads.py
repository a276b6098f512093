"""Response schema of staged uploads."""

from __future__ import annotations

from pydantic import BaseModel


class UploadPublic(BaseModel):
    """A staged upload, ready to be named in a registration."""

    upload_id: str
    filename: str
    byte_size: int
    sha256: str
