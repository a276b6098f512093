"""Oversight services on both backends (SQLite and PostgreSQL) with the clock under the
test's control: answer deadlines across the Spring Festival, the overdue list, the
response-time figures, withdrawal, and budget figures from the ledger.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sandbox.access.model import StageKind
from sandbox.access.overdue import list_overdue
from sandbox.catalog.suspension import is_suspended
from sandbox.errors import Conflict
from sandbox.holiday_sources import build_calendar
from sandbox.identity import service
from sandbox.identity.model import Actor, OrganisationKind, Role
from sandbox.ledger import sql as ledger
from sandbox.oversight import complaints, objections, suspensions
from sandbox.oversight.model import Resolution
from sandbox.oversight.stats import platform_stats
from sandbox.policies import PrivacyCost
from sandbox.policies.budget import Accounting
from sandbox.store import transaction
from tests.support.factories import actor_of, add_catalog_rows

Factory = sessionmaker[Session]
SYSTEM = Actor.system()
CALENDAR = build_calendar(None)
# Thursday Feb 12 2026, 10:00 in Shanghai: the Spring Festival holiday runs Feb 15-23, with
# make-up working days on Saturdays Feb 14 and Feb 28.
FILED = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


@pytest.fixture
def people(session_factory: Factory) -> dict[str, Actor]:
    with transaction(session_factory) as s:
        health = service.create_organisation(
            s, SYSTEM, name="Health", kind=OrganisationKind.PROVIDER
        )
        made = {
            "provider": service.create_user(
                s, SYSTEM, username="prov", role=Role.PROVIDER, organisation_id=health.id
            ),
            "authority": service.create_user(s, SYSTEM, username="auth", role=Role.AUTHORITY),
            "user": service.create_user(s, SYSTEM, username="citizen", role=Role.USER),
        }
        add_catalog_rows(s, health.id, made["provider"].id, FILED)
    return {name: actor_of(user) for name, user in made.items()}


def test_answer_deadlines_span_the_holiday_and_the_figures_follow(
    session_factory: Factory, people: dict[str, Actor]
) -> None:
    provider, user, authority = people["provider"], people["user"], people["authority"]
    with transaction(session_factory) as s:
        first = complaints.submit(
            s,
            user,
            CALENDAR,
            dataset="stops",
            kind="privacy",
            description="my plate is visible",
            now=FILED,
        )
        second = complaints.submit(
            s,
            user,
            CALENDAR,
            dataset="census",
            kind="trade_secret",
            description="our tariffs",
            now=FILED,
        )
        objection = objections.submit(
            s,
            user,
            CALENDAR,
            dataset="census",
            kind="omission",
            description="2025 missing",
            now=FILED,
        )
    # Fri 13 (1), Sat 14 make-up (2), holiday to Mon 23, Tue 24 (3) ... Fri 27 (6),
    # Sat 28 make-up (7), Mon Mar 2 (8), Tue 3 (9), Wed 4 (10).
    for stage in (first.stages[0], second.stages[0], objection.stages[0]):
        assert stage.kind is StageKind.ANSWER and stage.due_on == date(2026, 3, 4)
        assert stage.time_left is not None and stage.time_left.working_days_left == 10
    with transaction(session_factory) as s:
        assert list_overdue(s, authority, CALENDAR, on=date(2026, 3, 4)) == []
        late = list_overdue(s, authority, CALENDAR, on=date(2026, 3, 5))
    assert {(i.stage.subject.value, i.stage.subject_id) for i in late} == {
        ("complaint", first.id),
        ("complaint", second.id),
        ("objection", objection.id),
    }
    titles = {i.title for i in late}
    assert "complaint about stops: my plate is visible" in titles
    assert "objection about census: 2025 missing" in titles

    with transaction(session_factory) as s:
        suspensions.suspend(
            s, provider, "census", reason="tariffs exposed", complaint_id=second.id, now=FILED
        )
        restored = complaints.answer(
            s,
            provider,
            CALENDAR,
            first.id,
            resolution=Resolution.RESTORED,
            text="plates blurred",
            now=at(24, 2),
        )
        # A restore of another complaint leaves the suspension made for this one.
        assert is_suspended(s, "census") is not None
        ended = complaints.answer(
            s,
            provider,
            CALENDAR,
            second.id,
            resolution=Resolution.ENDED,
            text="withdrawn",
            now=at(6),
        )
    assert restored.stages[0].met_deadline is True
    assert ended.stages[0].met_deadline is False and ended.dataset_suspended
    with transaction(session_factory) as s:
        found = is_suspended(s, "census")
        assert found is not None and found.withdrawn
        with pytest.raises(Conflict, match="withdrawn"):
            suspensions.resolve(s, provider, "census", resolution=Resolution.RESTORED)

    with transaction(session_factory) as s:
        ledger.open_dataset_account(
            s, dataset="stops", limit=PrivacyCost.of(4), accounting=Accounting.PURE, actor=SYSTEM
        )
        ledger.open_grant_account(
            s,
            grant="grant-x",
            dataset="stops",
            limit=PrivacyCost.of(1),
            accounting=Accounting.PURE,
            actor=SYSTEM,
        )
        ledger.spend(
            s,
            grant="grant-x",
            dataset="stops",
            cost=PrivacyCost.of("0.375"),
            purpose="figures",
            actor=SYSTEM,
        )
    with transaction(session_factory) as s:
        stats = platform_stats(s, authority, CALENDAR, now=at(10))
        mine = platform_stats(s, user, CALENDAR, now=at(10))
    assert stats.datasets_by_attribute == {"unconditional": 1, "conditional": 1, "closed": 1}
    assert (stats.datasets_suspended, stats.datasets_withdrawn) == (0, 1)
    figures = {(d.subject, d.stage): d for d in stats.deadlines}
    answers = figures[("complaint", "answer")]
    # Feb 12 -> Feb 24: 3 working days (met); Feb 12 -> Mar 6: 12 (missed).
    assert (answers.closed, answers.met, answers.missed) == (2, 1, 1)
    assert answers.median_working_days == 7.5 and answers.worst_working_days == 12
    assert answers.working_days_allowed == 10
    pending = figures[("objection", "answer")]
    assert (pending.open, pending.open_overdue, pending.closed) == (1, 1, 0)
    assert pending.median_working_days is None
    assert (stats.complaints.open, stats.complaints.overdue, stats.complaints.answered) == (0, 0, 2)
    assert (stats.objections.open, stats.objections.overdue) == (1, 1)
    assert [
        (b.dataset, b.spent_loss, b.limit_loss, b.grant_accounts, b.charges) for b in stats.budgets
    ] == [("stops", "0.375", "4", 1, 1)]
    assert mine.budgets == ()
