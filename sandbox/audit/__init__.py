"""The tamper-evident audit trail: record, read, export and verify."""

from sandbox.audit.chain import (
    AuditEntry,
    AuditQuery,
    VerifyProblem,
    VerifyReport,
    iter_entries,
    list_entries,
    record,
    record_at_commit,
    verify,
)
from sandbox.audit.reads import export_checkpoints, read_entries, record_export, verify_chain

__all__ = [
    "AuditEntry",
    "AuditQuery",
    "VerifyProblem",
    "VerifyReport",
    "export_checkpoints",
    "iter_entries",
    "list_entries",
    "read_entries",
    "record",
    "record_at_commit",
    "record_export",
    "verify",
    "verify_chain",
]
