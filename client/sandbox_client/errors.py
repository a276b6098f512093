"""The errors the client raises: one root, so a script can catch every client failure at once,
and the server's stable ``error`` code kept on the error it answered with.

The client ships without the server, so these are its own types rather than subclasses of the
server's ``sandbox.errors.SandboxError``; they keep the same two attributes (``code`` and
``message``) so code that reports either kind reads them the same way.
"""

from __future__ import annotations

__all__ = ["SandboxAPIError", "SandboxClientError", "SandboxConnectionError"]


class SandboxClientError(Exception):
    """Root of the errors this client raises, so a caller can catch them all at once."""

    code = "client_error"
    """Stable machine-readable code; for :class:`SandboxAPIError` the server's ``error``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SandboxConnectionError(SandboxClientError):
    """The server could not be reached or the connection broke mid-request."""

    code = "connection_error"


class SandboxAPIError(SandboxClientError):
    """The server answered with a non-2xx status; ``code`` is its stable ``error`` field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        limit: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.limit = limit
        """A 429's limit (``rate_limit_user``, ``job_limits.active_jobs_per_grant``, ...)."""
        self.retry_after = retry_after
        """A 429's ``Retry-After``: seconds until asking again may succeed."""

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"
