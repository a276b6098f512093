"""The bounded integers the API accepts, in paths, queries and request bodies alike.

An integer the database cannot hold must never reach it: SQLite overflows past 2**63 and
PostgreSQL refuses anything past its column's width, and either surfaced as a 500. Every
id, version, offset and cursor a request names is therefore one of these types, bounded by
the width of the column it is compared with (``sandbox/store/models.py``): ids, versions and
counts are 32-bit ``INTEGER`` columns, the audit trail's sequence is a 64-bit ``BIGINT``.
Out of range, negative or not a number is refused with a 422 before any handler runs, and
the bounds appear in the OpenAPI document.

The constraints are plain ``annotated_types`` metadata, so one alias works as a path or a
query parameter (FastAPI) and as a body field (pydantic).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval

INT32_MAX = 2**31 - 1
"""The largest value of a PostgreSQL ``INTEGER`` column (ids, versions, counts)."""
INT64_MAX = 2**63 - 1
"""The largest value of a PostgreSQL ``BIGINT`` column (the audit trail's ``seq``)."""

Id = Annotated[int, Interval(ge=1, le=INT32_MAX)]
"""The id of a stored object (a user, token, grant, job...): 1 to 2**31 - 1."""
Version = Annotated[int, Interval(ge=1, le=INT32_MAX)]
"""A dataset version number: versions count from 1."""
Offset = Annotated[int, Interval(ge=0, le=INT32_MAX)]
"""How many rows a page skips."""
Cursor = Annotated[int, Interval(ge=0, le=INT64_MAX)]
"""A position in the audit trail (``after_seq``): 0 reads from the start."""
