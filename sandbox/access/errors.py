"""Errors of the access workflow, each a :class:`~sandbox.errors.SandboxError` subclass."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.errors import InvalidRequest, PermissionDenied


class NotEligible(PermissionDenied):
    """The user does not meet the conditions to apply for conditional data (Qingdao art. 16).

    ``failed`` names every condition that is not met.
    """

    code = "not_eligible"

    def __init__(self, failed: Sequence[str]) -> None:
        super().__init__(
            "you may not apply for conditional data: " + "; ".join(failed) + " (Qingdao art. 16)"
        )
        self.failed = tuple(failed)


class IncompleteApplication(InvalidRequest):
    """An application lacks required fields; ``missing`` names every one of them."""

    code = "incomplete_application"

    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__("the application is incomplete; missing: " + ", ".join(missing))
        self.missing = tuple(missing)


class NoActiveGrant(PermissionDenied):
    """No active grant covers the requested use; the message says why for each grant."""

    code = "no_active_grant"
