"""Column types shared by every table.

:class:`UTCDateTime` is the one datetime column type: it stores aware moments as UTC and
hands them back aware in UTC on every backend. PostgreSQL's ``timestamptz`` does so already;
SQLite has no time zones and returns naive values, which every reader used to patch with an
```` helper of its own. Doing it once in the column keeps every comparison
(deadlines, expiry, suspensions) between aware times, whatever store runs underneath.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that only takes and gives aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive moments (their zone is unknown); store aware ones in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column: use sandbox.clock.utc_now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Every stored moment is UTC; mark SQLite's naive values so."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
