"""The platform's one clock: every moment it records is an aware UTC datetime.

Services take an optional ``now`` so tests can fix the time; when none is given they ask
:func:`utc_now`, never ``datetime.now()`` (naive, local) or ``datetime.utcnow()`` (naive).
The store hands every stored moment back aware in UTC too
(:class:`sandbox.store.types.UTCDateTime`), so comparisons never mix naive and aware times.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now"]


def utc_now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)
