"""The job lifecycle as functions: every transition checked, written and audited; recovery
after a restart; the dispatcher's order of work. In-process (:mod:`tests.support.jobs`):
no Ray, no sandbox process, no server.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.errors import Conflict
from sandbox.jobs.lifecycle import move, platform_actor
from sandbox.jobs.model import FINAL_STATES, TRANSITIONS, JobState, RunOutcome, can_move
from sandbox.jobs.runner import fail_unfinished
from sandbox.runtime.executor import ModelOutcome
from sandbox.store.models import JobRow
from tests.support.jobs import JobBench, ModelRun, finished

NON_FINAL = [state for state in JobState if not state.is_final]


def quick(bench: JobBench, title: str = "Quick") -> str:
    return bench.model(title, lambda run: finished(1))


def queued_job(bench: JobBench, title: str = "Queued") -> int:
    """A job of ``user`` left ``queued`` (the dispatcher paused)."""
    bench.dispatcher.paused = True
    try:
        return bench.submit("user", ["people"], quick(bench, title)).id
    finally:
        bench.dispatcher.paused = False


def at_state(bench: JobBench, state: JobState, title: str = "Job") -> int:
    """A job walked along the lifecycle until it is ``state``."""
    job_id = queued_job(bench, f"{title} {state}")
    forward = [JobState.RUNNING, JobState.CHECKING, JobState.PENDING_REVIEW]
    steps = {
        JobState.SUBMITTED: [],
        JobState.QUEUED: [],
        JobState.RUNNING: forward[:1],
        JobState.CHECKING: forward[:2],
        JobState.PENDING_REVIEW: forward,
        JobState.RELEASED: [*forward, JobState.RELEASED],
        JobState.REJECTED: [*forward[:2], JobState.REJECTED],
        JobState.FAILED: [*forward[:1], JobState.FAILED],
        JobState.CANCELLED: [JobState.CANCELLED],
    }[state]
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        if state is JobState.SUBMITTED:
            row.state = str(JobState.SUBMITTED)  # as a crash between its two transactions
        for step in steps:
            move(session, row, step, platform_actor())
    return job_id


# --- the table of transitions -------------------------------------------------------------


def test_the_lifecycle_is_the_designed_one() -> None:
    assert FINAL_STATES == {
        JobState.RELEASED,
        JobState.REJECTED,
        JobState.FAILED,
        JobState.CANCELLED,
    }
    forward = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert forward == {
        (JobState.SUBMITTED, JobState.QUEUED),
        (JobState.QUEUED, JobState.RUNNING),
        (JobState.RUNNING, JobState.CHECKING),
        (JobState.CHECKING, JobState.PENDING_REVIEW),
        (JobState.CHECKING, JobState.RELEASED),
        (JobState.CHECKING, JobState.REJECTED),
        (JobState.PENDING_REVIEW, JobState.RELEASED),
        (JobState.PENDING_REVIEW, JobState.REJECTED),
    }
    for source, target in itertools.product(JobState, JobState):
        expected = not source.is_final and (
            target in (JobState.FAILED, JobState.CANCELLED) or (source, target) in forward
        )
        assert can_move(source, target) is expected, (source, target)


@pytest.mark.parametrize("source", NON_FINAL, ids=str)
def test_every_step_is_checked_written_and_audited(bench: JobBench, source: JobState) -> None:
    job_id = at_state(bench, source)
    with bench.platform.sessions() as session:
        for target in JobState:
            row = session.get(JobRow, job_id)
            assert row is not None and row.state == source
            if not can_move(source, target):
                with pytest.raises(
                    Conflict, match=f"job {job_id} is {source}; it cannot become {target}"
                ):
                    move(session, row, target, platform_actor())
                assert row.state == source
                continue
            move(session, row, target, platform_actor(), reason="because", detail={"extra": 1})
            assert row.state == target and row.state_reason == "because"
            if target is JobState.RUNNING:
                assert row.started_at is not None
            assert (row.finished_at is not None) is target.is_final
            last = list(
                audit.iter_entries(session, AuditQuery(object_type="job", object_id=str(job_id)))
            )[-1]
            assert last.action == f"job.{target}"
            assert last.detail["from"] == str(source) and last.detail["reason"] == "because"
            assert last.detail["datasets"] == row.datasets and last.detail["extra"] == 1
            session.rollback()  # try the next target from the same state


@pytest.mark.parametrize("final", sorted(FINAL_STATES), ids=str)
def test_a_final_state_is_never_left(bench: JobBench, final: JobState) -> None:
    job_id = at_state(bench, final)
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None and row.state == final
        for target in JobState:
            with pytest.raises(Conflict, match="cannot become"):
                move(session, row, target, platform_actor())


# --- recovery after a restart -------------------------------------------------------------


def test_recovery_queues_submitted_jobs_and_fails_interrupted_ones(bench: JobBench) -> None:
    jobs = {
        state: at_state(bench, state, "Recover")
        for state in (
            JobState.SUBMITTED,
            JobState.QUEUED,
            JobState.RUNNING,
            JobState.CHECKING,
            JobState.PENDING_REVIEW,
        )
    }
    counts = bench.dispatcher.start()  # recovery, then the queue (two jobs now queued)
    assert counts == {"queued": 1, "failed": 2}
    rows = {state: bench.row(job_id) for state, job_id in jobs.items()}
    for state in (JobState.SUBMITTED, JobState.QUEUED):
        assert rows[state].state == JobState.PENDING_REVIEW, state  # ran to the end
        assert rows[state].attempt == 1
    assert rows[JobState.RUNNING].state == JobState.FAILED
    assert rows[JobState.RUNNING].outcome == RunOutcome.INTERRUPTED
    assert rows[JobState.RUNNING].state_reason == (
        "the platform restarted while the job was running; start it again"
    )
    assert rows[JobState.CHECKING].state == JobState.FAILED
    assert rows[JobState.CHECKING].state_reason.endswith("was checking; start it again")
    assert rows[JobState.PENDING_REVIEW].state == JobState.PENDING_REVIEW  # untouched
    with bench.session() as session:
        reasons = [
            e.detail.get("reason")
            for e in audit.iter_entries(
                session, AuditQuery(object_type="job", object_id=str(jobs[JobState.SUBMITTED]))
            )
        ]
    assert "queued after a platform restart" in reasons


def test_recovery_never_runs_or_charges_a_job_twice(bench: JobBench) -> None:
    calls: list[int] = []

    def count_once(run: ModelRun) -> ModelOutcome:
        calls.append(1)
        return finished(run.dp("count", "people", epsilon=0.1))

    bench.dispatcher.paused = True
    job_id = bench.submit("user", ["people"], bench.model("Count once", count_once)).id
    bench.dispatcher.paused = False
    bench.dispatcher.drain()
    assert calls == [1] and len(bench.ledger.charges()) == 1
    # A restart after the run: nothing is queued again, nothing runs, nothing is charged.
    assert bench.dispatcher.start() == {"queued": 0, "failed": 0}
    assert calls == [1] and len(bench.ledger.charges()) == 1
    assert bench.row(job_id).attempt == 1


def test_a_job_lost_while_it_ran_fails_once_and_keeps_its_charges(bench: JobBench) -> None:
    job_id = at_state(bench, JobState.RUNNING, "Lost")
    with bench.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        fail_unfinished(session, row, "the worker running the job stopped; start it again")
        assert row.state == JobState.FAILED and row.outcome == RunOutcome.INTERRUPTED
        fail_unfinished(session, row, "again")  # a final job is left as it is
        assert row.state_reason == "the worker running the job stopped; start it again"


# --- the dispatcher -----------------------------------------------------------------------


def test_the_dispatcher_runs_queued_jobs_oldest_first_and_each_once(bench: JobBench) -> None:
    order: list[str] = []

    def named(name: str) -> str:
        def script(run: ModelRun) -> ModelOutcome:
            order.append(name)
            return finished(name)

        return bench.model(name, script)

    bench.dispatcher.paused = True
    ids = [bench.submit("user", ["people"], named(f"Job {n}")).id for n in range(3)]
    assert all(bench.row(i).state == JobState.QUEUED for i in ids)
    bench.dispatcher.paused = False
    assert bench.dispatcher.drain() == ids
    assert order == ["Job 0", "Job 1", "Job 2"]
    assert bench.dispatcher.drain() == []
    with bench.platform.sessions() as session:
        states = set(session.execute(select(JobRow.state).where(JobRow.id.in_(ids))).scalars())
    assert states == {JobState.PENDING_REVIEW}
