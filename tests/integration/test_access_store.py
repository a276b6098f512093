"""The access-workflow services on both backends (SQLite and PostgreSQL), with the clock
and the calendar under the test's control: deadlines across the Spring Festival, overdue
items, lazy expiry, and the ledger accounts opened on activation.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.stages import StagePublic
from sandbox import audit
from sandbox.access import applications, demands, grants
from sandbox.access.agreement import Agreement
from sandbox.access.errors import NoActiveGrant
from sandbox.access.model import ApplicationDraft, GrantStatus, StageKind
from sandbox.access.overdue import list_overdue
from sandbox.audit import AuditQuery
from sandbox.errors import Conflict
from sandbox.holiday_sources import build_calendar
from sandbox.identity import service
from sandbox.identity.model import Actor, EligibilityFact, OrganisationKind, Role
from sandbox.ledger import sql as ledger
from sandbox.store import transaction
from tests.support.factories import actor_of, add_catalog_rows

Factory = sessionmaker[Session]
SYSTEM = Actor.system()
CALENDAR = build_calendar(None)
AGREEMENT = Agreement(version="test-1", text="Use the data only as approved.")
# Thursday Feb 12 2026, 10:00 in Shanghai: the Spring Festival holiday starts on Sunday.
FILED = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)


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
            "user": service.create_user(s, SYSTEM, username="analyst", role=Role.USER),
        }
        actors = {name: actor_of(user) for name, user in made.items()}
        for fact, value in (
            (EligibilityFact.REAL_NAME_VERIFIED, "yes"),
            (EligibilityFact.CREDIT_STANDING, "good"),
        ):
            service.set_eligibility(s, actors["authority"], made["user"].id, fact=fact, value=value)
        add_catalog_rows(s, health.id, made["provider"].id, FILED)
    return actors


def draft() -> ApplicationDraft:
    return ApplicationDraft(
        title="Income",
        reason="research",
        kind="interface",
        datasets=("census",),
        period_start=date(2026, 3, 1),
        period_end=date(2026, 6, 30),
        results_form="tables",
        scenario="evaluation",
        security_measures="controls",
        commitment_signed=True,
    )


def test_an_application_to_an_active_grant_with_deadlines_and_the_ledger(
    session_factory: Factory, people: dict[str, Actor]
) -> None:
    with transaction(session_factory) as s:
        made = applications.submit_application(s, people["user"], CALENDAR, draft(), now=FILED)
    form = made.stages[0]
    # Filed Thursday: Fri 13 (1), Sat 14 make-up (2), holiday to 23, Tue 24 (3) ... Thu 26.
    assert form.kind is StageKind.FORM_REVIEW and form.due_on == date(2026, 2, 26)
    assert form.time_left is not None and form.time_left.working_days_left == 5
    review_at = datetime(2026, 2, 27, 2, 0, tzinfo=UTC)  # a day late
    with transaction(session_factory) as s:
        overdue = list_overdue(s, people["authority"], CALENDAR, now=review_at)
        assert [(i.stage.subject_id, i.title) for i in overdue] == [(made.id, "Income")]
        assert overdue[0].stage.time_left is not None
        assert overdue[0].stage.time_left.describe() == "overdue by 1 working day"
        passed = applications.form_review(
            s, people["authority"], CALENDAR, made.id, passed=True, now=review_at
        )
    assert passed.stages[0].met_deadline is False
    # 10 working days from Friday Feb 27; Saturday Feb 28 is a make-up working day.
    assert passed.stages[1].due_on == date(2026, 3, 12)
    with transaction(session_factory) as s:
        assert list_overdue(s, people["authority"], CALENDAR, now=review_at) == []
        decided = applications.decide(
            s,
            people["provider"],
            CALENDAR,
            made.id,
            approve=True,
            now=review_at,
            scope=grants.Scope(
                grant_budget={"loss": "0.75", "delta": "1e-6"},
                policy="row_count: {min_count: 30}\n",
            ),
        )
    assert decided.grant_id is not None
    with transaction(session_factory) as s:
        active = grants.accept(
            s,
            people["user"],
            AGREEMENT,
            decided.grant_id,
            version="test-1",
            sha256=AGREEMENT.sha256,
            now=review_at,
        )
        assert active.status is GrantStatus.ACTIVE
        account = ledger.account(s, dataset="census", grant=active.ref)
        assert account.limit.loss == Fraction(3, 4)
        assert ledger.account(s, dataset="census").limit.loss == 20
        user_id = people["user"].user_id
        assert user_id is not None
        # Before the period starts, during it, after it ends.
        with pytest.raises(NoActiveGrant, match="starts on 2026-03-01"):
            grants.active_grant_for(s, user_id, "census", "dp", review_at)
        during = datetime(2026, 4, 1, tzinfo=UTC)
        assert grants.active_grant_for(s, user_id, "census", "dp", during).ref == active.ref
        end = CALENDAR.end_of_day(date(2026, 6, 30))
        with pytest.raises(NoActiveGrant, match="expired"):
            grants.active_grant_for(s, user_id, "census", "dp", end)
        assert grants.get_grant(s, people["user"], active.id, now=end).status is GrantStatus.EXPIRED
        with pytest.raises(Conflict, match="expired"):
            grants.change_status(s, people["provider"], active.id, "suspend", reason="x", now=end)
    with transaction(session_factory) as s:
        actions = [e.action for e in audit.iter_entries(s, AuditQuery())]
    for action in (
        "application.submit",
        "application.form_review",
        "grant.create",
        "application.decide",
        "grant.accept",
        "budget.account.open",
    ):
        assert action in actions


def test_a_request_for_unopened_data_records_every_stage(
    session_factory: Factory, people: dict[str, Actor]
) -> None:
    with transaction(session_factory) as s:
        made = demands.submit_demand(
            s,
            people["user"],
            CALENDAR,
            description="full registry",
            dataset_name="registry",
            now=FILED,
        )
        assert made.provider_org == "Health"
        passed = demands.form_review(
            s, people["authority"], CALENDAR, made.id, passed=True, now=FILED + timedelta(days=1)
        )
        agreed = demands.answer(
            s, people["provider"], CALENDAR, made.id, agree=True, now=FILED + timedelta(days=2)
        )
        opened = demands.mark_opened(
            s,
            people["provider"],
            CALENDAR,
            made.id,
            dataset="stops",
            now=FILED + timedelta(days=20),
        )
    assert passed.stages[1].kind is StageKind.PROVIDER_REVIEW
    # Opening: 20 working days from Sat Feb 14 (a make-up working day, not counted).
    assert agreed.stages[2].due_on == CALENDAR.add_working_days(date(2026, 2, 14), 20)
    assert [s.outcome for s in opened.stages] == ["passed", "agreed", "opened"]
    assert opened.opened_dataset == "stops"


def test_a_deadline_in_an_unpublished_year_is_marked_provisional(
    session_factory: Factory, people: dict[str, Actor]
) -> None:
    """Filed on 28 December 2026: the form review's 5 working days run into 2027, whose
    holiday arrangement is not published (statutory holidays only: New Year's Day)."""
    filed = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)
    with transaction(session_factory) as s:
        later = replace(draft(), period_start=date(2027, 2, 1), period_end=date(2027, 6, 30))
        made = applications.submit_application(s, people["user"], CALENDAR, later, now=filed)
    form = made.stages[0]
    assert form.due_on == date(2027, 1, 5)  # Tue 29, Wed 30, Thu 31, (Fri 1 off), Mon 4, Tue 5
    shown = StagePublic.model_validate(form)
    assert shown.provisional is True and shown.time_left is not None
    assert "provisional" in shown.time_left
    with transaction(session_factory) as s:
        in_2026 = applications.submit_application(s, people["user"], CALENDAR, draft(), now=FILED)
    assert StagePublic.model_validate(in_2026.stages[0]).provisional is False
