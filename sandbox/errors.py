"""The domain's error types.

Every error a user can cause is a subclass of :class:`SandboxError` with a stable ``code``
and a sentence-length message. The HTTP layer (``api/``) maps them to status codes in one
place; nothing below ``api/`` knows about HTTP. A broken invariant is a
:class:`SandboxInternalError`, which says "this is a bug" and is never shown in detail.
"""

from __future__ import annotations


class SandboxError(Exception):
    """Root of every domain error a caller can cause and be told about."""

    code = "error"
    """Stable machine-readable code, used as ``error`` in JSON error bodies."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(SandboxError):
    """The request is malformed or breaks a validation rule."""

    code = "invalid_request"


class InvalidUpload(InvalidRequest):
    """An uploaded or imported data file cannot be read or does not match its dictionary."""

    code = "invalid_upload"


class UploadTooLarge(InvalidRequest):
    """An upload exceeds the configured maximum size."""

    code = "upload_too_large"


class UploadTruncated(InvalidRequest):
    """An upload ended before the declared number of bytes arrived."""

    code = "upload_truncated"


class UploadTimedOut(InvalidRequest):
    """An upload's body stopped arriving: no byte came for the configured idle timeout."""

    code = "upload_timeout"


class NotFound(SandboxError):
    """The named object does not exist (or the caller may not know it exists)."""

    code = "not_found"


class UploadExpired(NotFound):
    """A staged upload of the caller's was removed because it was not registered in time.

    A kind of :class:`NotFound` (the bytes are gone), told apart so that its owner learns
    why and what to do; anyone else is told only that the upload does not exist.
    """

    code = "upload_expired"


class Conflict(SandboxError):
    """The request conflicts with the current state, such as a duplicate name."""

    code = "conflict"


class AuthenticationRequired(SandboxError):
    """No valid credentials were presented."""

    code = "unauthenticated"


class PermissionDenied(SandboxError):
    """The caller is known but may not do this."""

    code = "forbidden"


class AccessRefused(PermissionDenied):
    """The dataset's open attribute forbids this kind of access for everyone."""

    code = "access_refused"


class DataUnavailable(SandboxError):
    """Data the platform holds cannot be served now, through no fault of the caller."""

    code = "data_unavailable"


class DamagedVersion(DataUnavailable):
    """A dataset version's stored file is missing or no longer what was registered.

    ``problem`` names the kind of damage (``missing``, ``size``, ``footer``, ``row_count``,
    ``content``) for the audit trail and the provider's integrity view; the message names
    the dataset and version, never a server path or a value.
    """

    code = "version_damaged"

    def __init__(self, message: str, *, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class StorageFull(SandboxError):
    """A write ran out of space: the server's storage is full, not the request wrong.

    ``storage`` names which (``data store``, ``staging area``, ``temporary space``); the
    write was undone, so nothing changed.
    """

    code = "storage_full"

    def __init__(self, message: str, *, storage: str) -> None:
        super().__init__(message)
        self.storage = storage


class StorageUnavailable(SandboxError):
    """The data store (``SANDBOX_DATA_URI``) cannot be reached or refuses this process: it is
    down, or this process lacks its credentials. The platform's fault, never the caller's;
    the message names the store, never a credential.
    """

    code = "storage_unavailable"


class CalendarExhausted(SandboxError):
    """A deadline falls past the last day the working-day calendar can count
    (:mod:`sandbox.holiday_sources`): the platform's configuration, not the caller's fault.
    Nothing was opened; the operator extends the calendar.
    """

    code = "calendar_exhausted"


class SchemaOutOfDate(SandboxError):
    """The metadata store's schema is not the one this code expects, and this process does
    not migrate (a Ray worker): an API server or ``sandbox db upgrade`` must run first.
    """

    code = "schema_out_of_date"


class ProductionUnsafe(SandboxError):
    """The process is configured for production (``SANDBOX_ENVIRONMENT=production``) but
    would run jobs without isolation (the ``subprocess`` backend): it refuses to start.
    """

    code = "production_unsafe"


class Throttled(SandboxError):
    """A limit on how much a caller may ask for in a while was reached: nothing was done.

    ``limit`` names the limit (a setting or a policy field) so the caller can tell which,
    and ``retry_after_seconds`` says when asking again may succeed (the HTTP layer sends it
    as ``Retry-After``).
    """

    code = "rate_limited"

    def __init__(self, message: str, *, limit: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.retry_after_seconds = max(1, retry_after_seconds)


class QuotaExceeded(Throttled):
    """A job was refused because its submitter or grant already has as many unfinished jobs
    as policy allows; nothing was stored, queued or charged.
    """

    code = "quota_exceeded"


class SandboxInternalError(AssertionError):
    """A broken invariant: this is a bug in the platform, never the caller's fault."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message} (this is a bug in the sandbox platform; please report it)")
