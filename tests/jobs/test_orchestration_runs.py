"""Submitting and running jobs as functions: the submission checks, every way a run ends,
cancels, the DP calls through the broker and the ledger, and the output checks that decide
between release, review and refusal. In-process (:mod:`tests.support.jobs`): no Ray, no
sandbox process, no server.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.errors import InvalidRequest, NotFound, PermissionDenied
from sandbox.jobs import service as job_service
from sandbox.jobs.model import JobState, RunOutcome
from sandbox.jobs.runner import run_job
from sandbox.jobs.submission import JobRequest
from sandbox.ledger import ChargeStatus
from sandbox.oversight import suspensions
from sandbox.review import service as review_service
from sandbox.runtime.backends import BackendRegistry, SubprocessBackend, default_registry
from sandbox.runtime.executor import BrokerRefusal, ModelOutcome, RunStatus
from sandbox.store.models import JobRow
from tests.support.datafiles import SECRET_MARKER
from tests.support.jobs import JobBench, ModelRun, Script, ended, finished


def job_count(bench: JobBench) -> int:
    with bench.platform.sessions() as session:
        return int(session.execute(select(func.count()).select_from(JobRow)).scalar_one())


def check_lines(row: JobRow) -> list[dict[str, Any]]:
    """The lines of the job's check report (the checks ran)."""
    assert row.check_report is not None
    lines: list[dict[str, Any]] = row.check_report["lines"]
    return lines


def dp_mean(dataset: str = "people") -> Script:
    """A model with one DP mean by district on ``dataset``."""

    def run(run: ModelRun) -> ModelOutcome:
        mean = run.dp(
            "mean",
            dataset,
            group_by=["district"],
            column="income",
            lower=0,
            upper=100_000,
            epsilon=0.2,
        )
        return finished({"by_district": mean}, "one mean")

    return run


# --- submission ---------------------------------------------------------------------------


def test_a_submitted_job_is_stored_queued_audited_and_run(bench: JobBench) -> None:
    job = bench.submit("user", ["people"], bench.model("Mean", dp_mean()))
    assert job.state is JobState.QUEUED and job.backend == "fake"
    assert job.datasets == {"people": 1} and job.grant == bench.grants["dp"]
    row = bench.row(job.id)
    assert row.state == JobState.PENDING_REVIEW and row.attempt == 1
    assert row.outcome == RunOutcome.OK and row.log == ["one mean"]
    assert row.progress == {"dp_calls": 1, "log_lines": 1}
    assert [r["operation"] for r in row.releases] == ["mean"]
    assert row.result_sha256 and row.started_at and row.finished_at is None
    with bench.platform.sessions() as session:
        actions = [
            e.action
            for e in audit.iter_entries(
                session, AuditQuery(object_type="job", object_id=str(job.id))
            )
        ]
    assert actions == [
        "job.submit",
        "job.queued",
        "job.running",
        "job.checking",
        "job.pending_review",
    ]


def test_submission_checks_everything_before_storing_anything(bench: JobBench) -> None:
    quick = bench.model("Quick", lambda run: finished(1))
    before = job_count(bench)
    with pytest.raises(PermissionDenied, match="user accounts"):
        bench.submit("reviewer", ["people"], quick)
    with pytest.raises(PermissionDenied):  # user2 holds no grant on people_raw
        bench.submit("user2", ["people_raw"], quick)
    with pytest.raises(PermissionDenied, match="allows dp jobs only, not raw jobs"):
        bench.submit("user", ["people"], quick, kind="raw", grant="dp")
    with pytest.raises(InvalidRequest, match="the model does not compile"):
        bench.submit(
            "user", ["people"], '"""Bad."""\n\nimport os\n\n\ndef run(ctx):\n    return 1\n'
        )
    with pytest.raises(InvalidRequest, match="lists a dataset twice"):
        bench.submit("user", ["people", "people"], quick)
    with pytest.raises(InvalidRequest, match="no isolation backend on this platform can run a raw"):
        job_service.submit(
            bench.platform,
            bench.actors["user"],
            JobRequest(datasets=["people_raw"], kind="raw", source=quick),
            models=bench.models,
            registry=_subprocess_only(),
        )
    assert job_count(bench) == before and bench.backend.runs == []


def _subprocess_only() -> BackendRegistry:
    registry = BackendRegistry()
    registry.register("subprocess", SubprocessBackend)
    return registry


# --- how runs end -------------------------------------------------------------------------

FAILURES = [
    (RunStatus.COMPILE_ERROR, "the model does not compile"),
    (RunStatus.MODEL_ERROR, "the model raised an error"),
    (RunStatus.TIMED_OUT, "the job exceeded its time limit"),
    (RunStatus.OOM, "the job ran out of memory (limit"),
    (RunStatus.OUTPUT_TOO_LARGE, "the result is larger than the limit of"),
    (RunStatus.CRASHED, "the sandbox stopped unexpectedly"),
]


@pytest.mark.parametrize(("status", "reason"), FAILURES, ids=[str(s) for s, _ in FAILURES])
def test_a_run_that_ends_badly_fails_with_the_platforms_words(
    bench: JobBench, status: RunStatus, reason: str
) -> None:
    error = f"Line 3: {SECRET_MARKER} in the model's own message"
    job = bench.submit(
        "user", ["people"], bench.model(f"Ends {status}", lambda run: ended(status, error))
    )
    row = bench.row(job.id)
    assert row.state == JobState.FAILED and row.outcome == status
    assert row.state_reason.startswith(reason), row.state_reason
    assert SECRET_MARKER not in row.state_reason  # the platform's words, never the model's
    assert row.errors == [error] and row.result is None and row.finished_at is not None


def test_a_runner_that_fails_leaves_the_job_failed_not_running(bench: JobBench) -> None:
    def explode(run: ModelRun) -> ModelOutcome:
        raise RuntimeError("the runner broke")

    job = bench.submit("user", ["people"], bench.model("Explodes", explode))
    row = bench.row(job.id)
    assert row.state == JobState.FAILED and row.outcome == RunOutcome.CRASHED
    assert row.state_reason == "the platform failed while running the job"


def test_a_worker_without_the_jobs_backend_fails_it(bench: JobBench) -> None:
    bench.dispatcher.paused = True
    job = bench.submit("user", ["people"], bench.model("Nowhere", lambda run: finished(1)))
    run_job(bench.platform, job.id, default_registry())  # a worker without "fake"
    row = bench.row(job.id)
    assert row.state == JobState.FAILED
    assert row.state_reason == "the fake backend is not available on this worker"
    assert bench.backend.runs == []


# --- cancels and suspensions --------------------------------------------------------------


def test_a_job_cancelled_before_it_runs_never_runs(bench: JobBench) -> None:
    bench.dispatcher.paused = True
    job = bench.submit("user", ["people"], bench.model("Never", lambda run: finished(1)))
    with bench.session() as session:
        with pytest.raises(PermissionDenied, match="owner"):
            job_service.cancel(session, bench.actors["provider"], job.id)
    with bench.session() as session:
        cancelled = job_service.cancel(session, bench.actors["user"], job.id)
    assert cancelled.state is JobState.CANCELLED
    assert cancelled.state_reason == "cancelled by its owner"
    bench.dispatcher.paused = False
    assert bench.dispatcher.drain() == []
    run_job(bench.platform, job.id, bench.registry)  # a late task finds it cancelled
    assert bench.backend.runs == [] and bench.row(job.id).state == JobState.CANCELLED


def test_a_cancel_while_running_stops_the_sandbox_and_keeps_what_was_charged(
    bench: JobBench,
) -> None:
    seen: dict[str, object] = {}

    def count_then_wait(run: ModelRun) -> ModelOutcome:
        seen["count"] = run.dp("count", "people", epsilon=0.1)
        with bench.session() as session:
            running = session.execute(
                select(JobRow.id).where(JobRow.state == JobState.RUNNING)
            ).scalar_one()
            job_service.cancel(session, bench.actors["user"], running)
        assert run.stop is not None
        seen["stopped"] = run.stop.wait(timeout=10)  # the runner's watcher sets it
        return ended(RunStatus.CANCELLED)

    job = bench.submit("user", ["people"], bench.model("Waits", count_then_wait))
    row = bench.row(job.id)
    assert seen["stopped"] is True
    assert row.state == JobState.CANCELLED and row.state_reason == "cancelled by its owner"
    assert row.cancel_requested and row.outcome == RunStatus.CANCELLED
    charges = bench.ledger.charges(grant=bench.grants["dp"])
    assert len(charges) == 1 and charges[0].status is ChargeStatus.RELEASED
    assert len(row.releases) == 1  # spent once, before the cancel, and never refunded


def test_a_suspension_stops_queued_jobs_and_the_next_dp_call(bench: JobBench) -> None:
    bench.dispatcher.paused = True
    waiting = bench.submit("user", ["people"], bench.model("Waiting", lambda run: finished(1)))
    refusals: list[str] = []

    def suspended_midway(run: ModelRun) -> ModelOutcome:
        with bench.session() as session:
            suspensions.suspend(
                session,
                bench.actors["provider"],
                "people_two",
                reason="a complaint is being examined",
            )
        try:
            run.dp("count", "people_two", epsilon=0.1)
        except BrokerRefusal as refusal:
            refusals.append(str(refusal))
        return finished(1)

    running = bench.submit("user", ["people_two"], bench.model("Midway", suspended_midway))
    bench.dispatcher.paused = False
    bench.dispatcher.drain()
    assert bench.row(waiting.id).state == JobState.PENDING_REVIEW  # people is not suspended
    assert len(refusals) == 1 and "suspended" in refusals[0]
    row = bench.row(running.id)
    assert row.state == JobState.CANCELLED and "complaint" in row.state_reason
    assert bench.ledger.charges(dataset="people_two") == []


# --- DP calls through the broker ----------------------------------------------------------


def test_refused_dp_calls_reach_the_model_and_charge_nothing(bench: JobBench) -> None:
    refusals: list[str] = []

    def greedy(run: ModelRun) -> ModelOutcome:
        for dataset, epsilon in (("people_raw", 0.1), ("people", 50), ("people", "lots")):
            try:
                run.dp("count", dataset, epsilon=epsilon)
            except BrokerRefusal as refusal:
                refusals.append(str(refusal))
        return finished(len(refusals))

    job = bench.submit("user", ["people"], bench.model("Greedy", greedy))
    assert refusals[0] == ("dataset 'people_raw' is not one of this job's datasets (people)")
    assert "budget" in refusals[1] or "cap" in refusals[1], refusals[1]
    assert "epsilon" in refusals[2]
    assert all(SECRET_MARKER not in r for r in refusals)
    assert bench.ledger.charges() == [] and bench.row(job.id).releases == []


# --- the output checks --------------------------------------------------------------------


def test_a_dp_result_on_auto_dp_datasets_is_released_without_review(bench: JobBench) -> None:
    job = bench.submit("user", ["people_auto"], bench.model("Auto", dp_mean("people_auto")))
    row = bench.row(job.id)
    assert row.state == JobState.RELEASED and row.auto_released
    assert row.state_reason == "released automatically: a DP result whose checks all passed"
    assert row.release["by_district"]
    with bench.platform.sessions() as session:
        made = audit.list_entries(session, AuditQuery(action="release.made", object_id=str(job.id)))
        seen = job_service.get_job(session, bench.actors["user"], job.id)
    assert made[0].detail["auto"] is True and made[0].detail["datasets"] == {"people_auto": 1}
    assert seen.result == row.release


def test_a_dp_result_elsewhere_waits_for_review_with_its_report(bench: JobBench) -> None:
    job = bench.submit("user", ["people"], bench.model("Manual", dp_mean()))
    row = bench.row(job.id)
    assert row.state == JobState.PENDING_REVIEW
    assert row.state_reason == "waiting for the dataset provider's review"
    rules = {line["rule"] for line in check_lines(row)}
    assert "dp" in rules and "max_bytes" in rules
    with bench.platform.sessions() as session:
        assert job_service.get_job(session, bench.actors["user"], job.id).result is None


def test_a_verified_raw_table_passes_its_cell_checks_to_review(bench: JobBench) -> None:
    def crosstab(run: ModelRun) -> ModelOutcome:
        return finished({"by_district": run.helper("crosstab", "people_raw", rows=["district"])})

    job = bench.submit(
        "user", ["people_raw"], bench.model("Crosstab", crosstab), kind="raw", grant="raw"
    )
    row = bench.row(job.id)
    assert row.state == JobState.PENDING_REVIEW, row.state_reason
    lines = check_lines(row)
    assert all(line["passed"] for line in lines), lines
    assert any(line["rule"] == "min_count" for line in lines)
    assert row.release["by_district"]["rows"] and row.verified
    assert SECRET_MARKER not in json.dumps(check_lines(row))


def test_an_unverifiable_raw_value_is_flagged_for_a_human(bench: JobBench) -> None:
    job = bench.submit(
        "user",
        ["people_raw"],
        bench.model("Rows", lambda run: finished({"rows": 60})),
        kind="raw",
        grant="raw",
    )
    row = bench.row(job.id)
    assert row.state == JobState.PENDING_REVIEW
    flagged = [line for line in check_lines(row) if not line["passed"]]
    assert [line["rule"] for line in flagged] == ["unverifiable"]
    assert not flagged[0]["blocking"]


@pytest.mark.parametrize("rule", ["row_level", "min_count"])
def test_a_blocked_raw_result_is_rejected_and_never_reaches_its_user(
    bench: JobBench, rule: str
) -> None:
    def blocked(run: ModelRun) -> ModelOutcome:
        if rule == "row_level":
            return finished({"ids": [f"{SECRET_MARKER}{i:05d}" for i in range(3)]})
        return finished(run.helper("crosstab", "people_raw", rows=["age"]))

    job = bench.submit(
        "user", ["people_raw"], bench.model(f"Blocked {rule}", blocked), kind="raw", grant="raw"
    )
    row = bench.row(job.id)
    assert row.state == JobState.REJECTED
    assert row.state_reason.startswith("blocked by the output checks") and rule in row.state_reason
    assert SECRET_MARKER not in row.state_reason
    with bench.platform.sessions() as session:
        seen = job_service.get_job(session, bench.actors["user"], job.id)
        queue = review_service.queue(session, bench.actors["reviewer"])
    assert seen.result is None and SECRET_MARKER not in json.dumps(seen.log + seen.errors)
    assert job.id not in [j.id for j in queue]


# --- who sees a job -----------------------------------------------------------------------


def test_a_job_is_seen_by_its_owner_its_granting_staff_and_oversight(bench: JobBench) -> None:
    job = bench.submit("user", ["people"], bench.model("Seen", lambda run: finished(1)))
    with bench.platform.sessions() as session:
        for who in ("user", "provider", "reviewer", "auditor"):
            assert job_service.get_job(session, bench.actors[who], job.id).id == job.id, who
            assert job.id in [j.id for j in job_service.list_jobs(session, bench.actors[who])], who
        with pytest.raises(NotFound, match=f"job {job.id} does not exist"):
            job_service.get_job(session, bench.actors["user2"], job.id)
        assert job_service.list_jobs(session, bench.actors["user2"]) == []
        with pytest.raises(InvalidRequest, match="state must be one of"):
            job_service.list_jobs(session, bench.actors["user"], state="dreaming")


def test_the_runner_waits_no_longer_than_its_run(bench: JobBench) -> None:
    started = time.monotonic()
    bench.submit("user", ["people"], bench.model("Instant", lambda run: finished(1)))
    assert time.monotonic() - started < 5  # the cancel watcher is joined at once
