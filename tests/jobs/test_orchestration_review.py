"""Review decisions as functions: the queue, what a reviewer reads, approve, reject and
return, two reviewers, nobody deciding twice or on what is not theirs, suspensions that
freeze a review. In-process (:mod:`tests.support.jobs`): no Ray, no sandbox process.
"""

from __future__ import annotations

import pytest

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from sandbox.jobs import service as job_service
from sandbox.jobs.model import JobState
from sandbox.oversight import suspensions
from sandbox.review import service as review
from sandbox.review.model import ReviewView
from sandbox.runtime.executor import ModelOutcome
from tests.support.jobs import JobBench, ModelRun, finished


def pending(bench: JobBench, dataset: str = "people", title: str = "Pending") -> int:
    """A DP job of ``user`` on ``dataset`` waiting for review."""

    def count(run: ModelRun) -> ModelOutcome:
        return finished({"total": run.dp("count", dataset, epsilon=0.1)})

    job = bench.submit("user", [dataset], bench.model(f"{title} {dataset}", count))
    assert bench.row(job.id).state == JobState.PENDING_REVIEW
    return job.id


def decide(bench: JobBench, who: str, job_id: int, outcome: str, reason: str = "") -> ReviewView:
    with bench.session() as session:
        return review.decide(session, bench.actors[who], job_id, outcome, reason)


def test_the_queue_holds_the_organisations_pending_results(bench: JobBench) -> None:
    first, second = pending(bench, title="First"), pending(bench, title="Second")
    with bench.platform.sessions() as session:
        for who in ("reviewer", "provider", "auditor"):
            assert [j.id for j in review.queue(session, bench.actors[who])] == [first, second]
        with pytest.raises(PermissionDenied, match="review queue"):
            review.queue(session, bench.actors["user"])


def test_a_reviewer_reads_everything_it_weighs_and_the_read_is_audited(bench: JobBench) -> None:
    job_id = pending(bench)
    with bench.session() as session:
        view = review.review_view(session, bench.actors["reviewer"], job_id)
    assert view.can_decide and view.required_approvals == 1 and view.frozen is None
    assert view.source == bench.row(job_id).source and view.decisions == []
    assert view.job.releases[0]["operation"] == "count"
    assert {line["rule"] for line in view.check_report["lines"]} >= {"dp", "max_bytes"}
    with bench.platform.sessions() as session:
        reads = audit.list_entries(
            session, AuditQuery(action="result.review_read", object_id=str(job_id))
        )
        assert len(reads) == 1 and reads[0].detail["datasets"] == {"people": 1}
        with pytest.raises(NotFound, match=f"no result of job {job_id} waits for you"):
            review.review_view(session, bench.actors["user2"], job_id)


def test_one_approval_releases_the_result_to_its_owner(bench: JobBench) -> None:
    job_id = pending(bench)
    view = decide(bench, "reviewer", job_id, "approve")
    assert view.job.state is JobState.RELEASED and not view.can_decide
    row = bench.row(job_id)
    assert not row.auto_released and row.released_at is not None
    assert row.state_reason == "approved by the dataset provider's review"
    with bench.platform.sessions() as session:
        seen = job_service.get_job(session, bench.actors["user"], job_id)
        made = audit.list_entries(session, AuditQuery(action="release.made", object_id=str(job_id)))
        decided = audit.list_entries(
            session, AuditQuery(action="review.approve", object_id=str(job_id))
        )
    assert seen.result == row.release and seen.result["total"] is not None
    assert made[0].detail["auto"] is False and len(decided) == 1
    with pytest.raises(Conflict, match="there is nothing to decide"):
        decide(bench, "reviewer2", job_id, "approve")


def test_two_reviewers_must_approve_and_nobody_decides_twice(bench: JobBench) -> None:
    job_id = pending(bench, "people_two")
    view = decide(bench, "reviewer", job_id, "approve")
    assert view.required_approvals == 2 and view.job.state is JobState.PENDING_REVIEW
    assert bench.row(job_id).state_reason == "approved by 1 of 2 reviewers"
    with pytest.raises(Conflict, match="you already decided on job"):
        decide(bench, "reviewer", job_id, "reject", "changed my mind")
    view = decide(bench, "reviewer2", job_id, "approve")
    assert view.job.state is JobState.RELEASED
    assert [d.reviewer for d in view.decisions] == ["reviewer", "reviewer2"]


@pytest.mark.parametrize(
    ("outcome", "word"), [("reject", "rejected"), ("return", "returned for changes")]
)
def test_reject_and_return_state_their_reason_and_end_the_job(
    bench: JobBench, outcome: str, word: str
) -> None:
    job_id = pending(bench)
    with pytest.raises(InvalidRequest, match=f"a decision to {outcome} states its reason"):
        decide(bench, "reviewer", job_id, outcome, "  ")
    with pytest.raises(InvalidRequest, match="at most"):
        decide(bench, "reviewer", job_id, outcome, "x" * (review.MAX_REASON + 1))
    view = decide(bench, "reviewer", job_id, outcome, "cells too small")
    assert view.job.state is JobState.REJECTED
    row = bench.row(job_id)
    assert row.state_reason == f"{word}: cells too small" and row.released_at is None
    with bench.platform.sessions() as session:
        assert job_service.get_job(session, bench.actors["user"], job_id).result is None


def test_only_the_granting_organisations_reviewers_decide(bench: JobBench) -> None:
    job_id = pending(bench)
    for who in ("user", "auditor", "authority"):
        with pytest.raises((PermissionDenied, NotFound)):
            decide(bench, who, job_id, "approve")
    with pytest.raises(InvalidRequest):
        decide(bench, "reviewer", job_id, "maybe")
    assert bench.row(job_id).state == JobState.PENDING_REVIEW


def test_a_suspension_freezes_the_review_until_it_is_lifted(bench: JobBench) -> None:
    job_id = pending(bench)
    with bench.session() as session:
        suspensions.suspend(
            session, bench.actors["provider"], "people", reason="a complaint is being examined"
        )
    with bench.session() as session:
        view = review.review_view(session, bench.actors["reviewer"], job_id)
    assert view.frozen is not None and "complaint" in view.frozen
    with pytest.raises(Conflict, match="the review is frozen"):
        decide(bench, "reviewer", job_id, "approve")
    assert bench.row(job_id).state == JobState.PENDING_REVIEW
