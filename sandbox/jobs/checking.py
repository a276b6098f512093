"""The step after a successful run: the output checks, then release, review or refusal.

For a job in ``checking``, on the trusted side:

1. the rules are the strictest row-count rules of the effective policies of its datasets
   (under its grant), the size limit its ``result_bytes``;
2. :func:`sandbox.disclosure.checks.check_result` checks the result: a raw-access job's
   verified outputs (what ``ctx.crosstab`` / ``ctx.regression`` computed) cell by cell,
   everything else it returned as unverifiable, row-level values of its input, differencing
   against the earlier released outputs on its datasets, size; a DP job's releases are
   reported with their mechanisms and costs. The platform's rounding and redaction give the
   result as it would be released;
3. a blocked result is ``rejected`` at once (its reason names the failed rules, never a
   value) and never reaches its user; a DP result whose checks all pass is released
   automatically where every dataset's policy says ``review.mode: auto_dp`` and no dataset
   is suspended (recorded as such); everything else waits in ``pending_review``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import policy_store
from sandbox.access.model import JobKind
from sandbox.catalog.dictionary import DataDictionary
from sandbox.catalog.queries import dataset_row, metadata_of
from sandbox.disclosure import (
    InputValues,
    ReleasedOutputFacts,
    check_result,
    facts_from_dict,
    facts_of,
    facts_to_dict,
    input_values,
)
from sandbox.jobs.helpers import RawHelpers
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.limits import combine_row_count
from sandbox.jobs.model import JobState
from sandbox.jobs.release import frozen_by, release
from sandbox.notifications.events import result_event
from sandbox.policies import Policy, ReviewMode
from sandbox.store.models import JobRow

__all__ = ["input_values_of", "raw_input_values", "run_checks"]


def _policies(session: Session, row: JobRow) -> list[Policy]:
    return list(policy_store.effective_under_grant(session, row.grant_id, row.datasets).values())


def _input_values(session: Session, row: JobRow, helpers: RawHelpers | None) -> InputValues:
    if helpers is None:
        return input_values(None, (), ())
    return raw_input_values(session, row.datasets, helpers)


def raw_input_values(session: Session, datasets: Iterable[str], helpers: RawHelpers) -> InputValues:
    """The identifier and sensitive values of the tables a raw-access run read (through
    ``helpers``), which its result must not repeat row by row.
    """
    return input_values_of(
        (helpers.table(name)[0], metadata_of(dataset_row(session, name)).dictionary)
        for name in datasets
    )


def input_values_of(tables: Iterable[tuple[pa.Table, DataDictionary]]) -> InputValues:
    """The identifier and sensitive values of ``tables``, each with its data dictionary."""
    merged: InputValues | None = None
    for table, dictionary in tables:
        identifiers = [c.name for c in dictionary.columns if c.classification == "identifier"]
        sensitive = [c.name for c in dictionary.columns if c.classification == "sensitive"]
        values = input_values(table, identifiers, sensitive)
        merged = values if merged is None else merged.union(values)
    return merged if merged is not None else input_values(None, (), ())


def _earlier(session: Session, row: JobRow) -> list[ReleasedOutputFacts]:
    found: list[ReleasedOutputFacts] = []
    # Two columns, not whole rows: released jobs accumulate, each with its result and log.
    stmt = select(JobRow.datasets, JobRow.verified).where(
        JobRow.state == JobState.RELEASED, JobRow.id != row.id
    )
    for datasets, verified in session.execute(stmt):
        if verified and set(datasets) & set(row.datasets):
            found.extend(facts_from_dict(facts) for facts in verified.values())
    return found


def _failed_rules(lines: Iterable[dict[str, Any]]) -> str:
    rules = sorted({str(line["rule"]) for line in lines if not line["passed"] and line["blocking"]})
    return ", ".join(rules)


def run_checks(session: Session, row: JobRow, helpers: RawHelpers | None) -> None:
    """Check a job's result and move it on from ``checking`` (see the module docstring)."""
    policies = _policies(session, row)
    rules = combine_row_count(policies)
    kind = JobKind(row.kind)
    outputs = helpers.outputs if helpers is not None else {}
    released, report = check_result(
        row.result,
        verified=outputs,
        rules=rules,
        max_bytes=int(row.limits["result_bytes"]),
        input_values=_input_values(session, row, helpers),
        earlier=_earlier(session, row),
        kind=str(kind),
        dp_releases=row.releases,
    )
    row.check_report = report.to_dict()
    row.release = released
    row.verified = {
        output_id: facts_to_dict(facts_of(output, output_id.split("/", 1)[0]))
        for output_id, output in outputs.items()
    }
    if report.blocked:
        move(
            session,
            row,
            JobState.REJECTED,
            platform_actor(),
            reason=f"blocked by the output checks: {_failed_rules(row.check_report['lines'])}",
            detail={"checks": "blocked"},
        )
        return
    auto = all(p.review_mode is ReviewMode.AUTO_DP for p in policies)
    frozen = frozen_by(session, row)
    if kind is JobKind.DP and auto and report.auto_releasable and frozen is None:
        release(session, platform_actor(), row, auto=True)
        return
    reason = "waiting for the dataset provider's review"
    if frozen is not None:
        reason += f" (frozen: {frozen})"
    move(
        session,
        row,
        JobState.PENDING_REVIEW,
        platform_actor(),
        reason=reason,
        detail={"checks": "passed" if report.auto_releasable else "flagged"},
    )
    result_event(session, row, "result.waiting")
