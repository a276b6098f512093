"""Query strings are checked, not skimmed: an unknown parameter is an error.

FastAPI ignores query parameters an endpoint does not declare, so ``/rows?district=north``
would answer every row as if filtered. Endpoints whose parameters change what data is
returned call :func:`reject_unknown_parameters` first.
"""

from __future__ import annotations

from collections.abc import Collection

from fastapi import Request

from sandbox.errors import InvalidRequest

__all__ = ["reject_unknown_parameters"]


def reject_unknown_parameters(request: Request, allowed: Collection[str]) -> None:
    """Refuse (422) a request naming a query parameter outside ``allowed``."""
    unknown = sorted({key for key in request.query_params if key not in allowed})
    if unknown:
        raise InvalidRequest(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}; "
            f"this endpoint takes: {', '.join(sorted(allowed))}"
        )
