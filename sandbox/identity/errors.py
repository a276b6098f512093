"""Errors of sign-in and accounts, each in a family of :mod:`sandbox.errors`."""

from __future__ import annotations

from sandbox.errors import AuthenticationRequired, InvalidRequest, PermissionDenied

SIGN_IN_FAILED_MESSAGE = (
    "sign-in failed: the login or the password is wrong, or the account is locked for a while "
    "after repeated failures"
)
"""One sentence for every failed sign-in, so that it never tells whether a login exists."""


class SignInFailed(AuthenticationRequired):
    """A sign-in was refused: unknown login, wrong password, locked or disabled account.

    The message is the same for every reason (the audit entry keeps the real one).
    """

    code = "sign_in_failed"

    def __init__(self) -> None:
        super().__init__(SIGN_IN_FAILED_MESSAGE)


class SessionExpired(AuthenticationRequired):
    """The session cookie names no live session: expired, ended or revoked."""

    code = "session_expired"


class WeakPassword(InvalidRequest):
    """A new password breaks the policy (length, equal to the login, ...)."""

    code = "weak_password"


class CsrfRefused(PermissionDenied):
    """A cookie-authenticated unsafe request did not carry its session's CSRF token."""

    code = "csrf_failed"
