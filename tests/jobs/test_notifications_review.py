"""Who the job and review workflows notify, in-process (:mod:`tests.support.jobs`): a result
waiting for review tells the granting organisation's reviewers and providers (never its
author), a release, a rejection and a return tell the author; a suspension and its
resolution tell the dataset's grant holders. No notification carries a result's figures.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sandbox.notifications import Language, inbox
from sandbox.oversight import suspensions
from sandbox.oversight.model import Resolution
from sandbox.oversight.report_reminders import remind_reports
from sandbox.review import service as review
from sandbox.runtime.executor import ModelOutcome
from sandbox.store.models import GrantRow
from tests.support.jobs import JobBench, ModelRun, finished


def _pending(bench: JobBench, title: str) -> int:
    def count(run: ModelRun) -> ModelOutcome:
        return finished({"total": run.dp("count", "people", epsilon=0.1)})

    return bench.submit("user", ["people"], bench.model(title, count)).id


def _keys(bench: JobBench, who: str, subject_id: int | str, kind: str = "job") -> list[str]:
    with bench.platform.sessions() as session:
        page = inbox(session, bench.actors[who], limit=200)
    return [n.key for n in page.data if (n.subject.type, n.subject.id) == (kind, str(subject_id))]


def test_a_held_result_tells_its_reviewers_and_the_decision_tells_its_author(
    bench: JobBench,
) -> None:
    released, rejected, returned = (_pending(bench, t) for t in ("One", "Two", "Three"))
    for who in ("reviewer", "reviewer2", "provider"):
        assert _keys(bench, who, released) == ["result.waiting"]
    assert _keys(bench, "user", released) == []  # the author is not its reviewer
    assert _keys(bench, "user2", released) == [] and _keys(bench, "authority", released) == []
    with bench.session() as session:
        review.decide(session, bench.actors["reviewer"], released, "approve")
        review.decide(session, bench.actors["reviewer"], rejected, "reject", "too small")
        review.decide(session, bench.actors["reviewer"], returned, "return", "add a group")
    assert _keys(bench, "user", released) == ["result.released"]
    assert _keys(bench, "user", rejected) == ["result.rejected"]
    assert _keys(bench, "user", returned) == ["result.returned"]
    total = bench.row(released).release["total"]
    with bench.platform.sessions() as session:
        page = inbox(session, bench.actors["user"], limit=200)
    for note in page.data:
        assert str(total) not in note.title + note.body
        assert "too small" not in note.body and "add a group" not in note.body


def test_a_suspension_and_its_resolution_tell_the_grant_holders(bench: JobBench) -> None:
    with bench.session() as session:
        suspensions.suspend(session, bench.actors["provider"], "people", reason="a complaint")
    assert _keys(bench, "user", "people", "dataset") == ["dataset.suspended"]
    assert _keys(bench, "reviewer", "people", "dataset") == []  # holds no grant
    with bench.session() as session:
        suspensions.resolve(
            session, bench.actors["provider"], "people", resolution=Resolution.RESTORED
        )
    assert _keys(bench, "user", "people", "dataset") == ["dataset.resumed", "dataset.suspended"]


def test_report_reminders_tell_the_holder_once_before_and_once_after(bench: JobBench) -> None:
    with bench.session() as session:
        grant = (
            session.execute(
                select(GrantRow).where(GrantRow.holder_id == bench.actors["user"].user_id)
            )
            .scalars()
            .first()
        )
        assert grant is not None and grant.accepted_at is not None
        grant.report_interval_days = 10  # as a provider approving reports every 10 days
        ref, accepted, interval = grant.ref, grant.accepted_at, grant.report_interval_days
    calendar = bench.platform.calendar
    due_on = calendar.local_date(accepted) + timedelta(days=interval)
    before = calendar.start_of_day(due_on - timedelta(days=1))
    after = calendar.start_of_day(due_on + timedelta(days=3))
    counts = []
    for moment in (before, before, after, after):
        with bench.session() as session:
            counts.append(remind_reports(session, calendar, 2, moment))
    assert counts == [2, 0, 2, 0]  # usage and risk, once each before and once after
    keys = _keys(bench, "user", ref, "grant")
    assert sorted(keys) == ["report.due"] * 2 + ["report.overdue"] * 2
    with bench.platform.sessions() as session:
        page = inbox(session, bench.actors["user"], limit=200, language=Language.EN)
    titles = {n.title for n in page.data if n.subject.id == ref}
    assert f"usage report on grant {ref} due on {due_on.isoformat()}" in titles
    assert f"risk report on grant {ref} overdue" in titles
