"""The tamper-evident audit trail: record, read, export and verify."""

from sandbox.audit.chain import (
    AuditEntry,
    AuditQuery,
    VerifyProblem,
    VerifyReport,
    iter_entries,
    list_entries,
    record,
    verify,
)

__all__ = [
    "AuditEntry",
    "AuditQuery",
    "VerifyProblem",
    "VerifyReport",
    "iter_entries",
    "list_entries",
    "record",
    "verify",
]
