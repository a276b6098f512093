"""Response schema of a dataset's integrity check: is each version's file still intact?"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import FromDomain


class VersionIntegrityPublic(FromDomain):
    """One version's file as the check found it."""

    version: int
    intact: bool
    problem: str | None = Field(
        description="missing, size, footer, row_count or content; null when intact"
    )
    detail: str | None = Field(description="What is wrong, in words; null when intact")
    reported_at: str | None = Field(
        description="When damage to this version was last put on record, by a read or a "
        "check; it stays refused until a check finds it intact"
    )


class IntegrityPublic(FromDomain):
    """Every version of a dataset, hashed in full against what was recorded when stored."""

    dataset: str
    checked_at: datetime
    versions: list[VersionIntegrityPublic]
