"""The errors the client raises: one root, so a script can catch every client failure at once,
and the server's stable ``error`` code kept on the error it answered with.
"""

from __future__ import annotations

from sandbox.errors import SandboxError

__all__ = ["SandboxAPIError", "SandboxClientError", "SandboxConnectionError"]


class SandboxClientError(SandboxError):
    """Root of the errors this client raises, so a caller can catch them all at once."""

    code = "client_error"


class SandboxConnectionError(SandboxClientError):
    """The server could not be reached or the connection broke mid-request."""

    code = "connection_error"


class SandboxAPIError(SandboxClientError):
    """The server answered with a non-2xx status; ``code`` is its stable ``error`` field."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"
