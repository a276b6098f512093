"""A session computes a job's effective policies once, and never serves them stale: a policy
written in the same transaction is read afresh
(:func:`sandbox.policy_store.effective_under_grant`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select

from sandbox.policies import ReviewMode
from sandbox.policy_store import effective_under_grant, set_dataset_policy
from sandbox.store.models import GrantRow, JobRow
from tests.support.jobs import JobBench, finished


def _grant_id(bench: JobBench) -> int:
    with bench.session() as session:
        return session.execute(
            select(GrantRow.id).where(GrantRow.ref == bench.grants["dp"])
        ).scalar_one()


def _statements_of(bench: JobBench, work: Callable[[], object]) -> list[str]:
    statements: list[str] = []
    listener = lambda *args: statements.append(str(args[2]))  # noqa: E731
    event.listen(bench.platform.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(bench.platform.engine, "before_cursor_execute", listener)
    return statements


def test_a_session_computes_the_effective_policies_once(bench: JobBench) -> None:
    grant_id = _grant_id(bench)
    with bench.session() as session:
        first = effective_under_grant(session, grant_id, ["people"])
        again: list[object] = []
        statements = _statements_of(
            bench, lambda: again.append(effective_under_grant(session, grant_id, ["people"]))
        )
    assert again == [first]
    assert statements == []


def test_a_policy_written_in_the_same_transaction_is_read_afresh(bench: JobBench) -> None:
    grant_id = _grant_id(bench)
    with bench.session() as session:
        before = effective_under_grant(session, grant_id, ["people"])["people"]
        assert before.review_mode is not ReviewMode.AUTO_DP
        set_dataset_policy(
            session, bench.actors["provider"], "people", {"review": {"mode": "auto_dp"}}
        )
        after = effective_under_grant(session, grant_id, ["people"])["people"]
    assert after.review_mode is ReviewMode.AUTO_DP


def test_a_jobs_own_writes_keep_what_the_session_computed(bench: JobBench) -> None:
    """A submission inserts its job and its audit entries between computing the policies
    and answering with them: those flushes cannot change a policy, so nothing is re-read.
    """
    grant_id = _grant_id(bench)
    source = bench.model("Counts", lambda _run: finished(1))
    job_id = bench.submit("user", ["people"], source, grant="dp").id
    with bench.session() as session:
        first = effective_under_grant(session, grant_id, ["people"])
        row = session.get(JobRow, job_id)
        assert row is not None
        row.description = "touched by the test"
        session.flush()
        statements = _statements_of(
            bench, lambda: effective_under_grant(session, grant_id, ["people"])
        )
        again = effective_under_grant(session, grant_id, ["people"])
    assert again == first
    assert statements == []


def test_a_grant_changed_in_the_same_transaction_is_read_afresh(bench: JobBench) -> None:
    grant_id = _grant_id(bench)
    with bench.session() as session:
        before = effective_under_grant(session, grant_id, ["people"])["people"]
        grant = session.get(GrantRow, grant_id)
        assert grant is not None
        grant.policy = {**grant.policy, "review": {"mode": "auto_dp"}}
        session.flush()
        after = effective_under_grant(session, grant_id, ["people"])["people"]
        session.rollback()
    assert before.review_mode is not ReviewMode.AUTO_DP
    assert after.review_mode is ReviewMode.AUTO_DP
