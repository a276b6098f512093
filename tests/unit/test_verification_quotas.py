"""The verification quotas on both backends (SQLite and PostgreSQL): records per grant and
day across a dataset's services, questions per record and day, a call refused whole with
nothing counted, the next day starting afresh with yesterday's fingerprints gone, and the
policy section's layering (a dataset may tighten the floor's quotas, never loosen them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.access import applications, grants
from sandbox.access.agreement import Agreement
from sandbox.access.model import ApplicationDraft
from sandbox.errors import InvalidRequest, QuotaExceeded
from sandbox.holiday_sources import build_calendar
from sandbox.identity import service
from sandbox.identity.model import Actor, EligibilityFact, OrganisationKind, Role
from sandbox.policies import (
    PolicyLevel,
    PolicyViolation,
    check_dataset_policy,
    effective_policy,
    parse_policy,
)
from sandbox.policies.shipped import shipped_floor
from sandbox.store import transaction
from sandbox.store.models import (
    DatasetRow,
    VerificationRecordUsageRow,
    VerificationServiceRow,
)
from sandbox.verification import quotas
from sandbox.verification.model import Quota
from sandbox.verification.usage import calls_per_dataset
from tests.support.factories import actor_of, add_catalog_rows

Factory = sessionmaker[Session]
SYSTEM = Actor.system()
CALENDAR = build_calendar(None)
AGREEMENT = Agreement(version="test-1", text="Use the data only as approved.")
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)
POLICY = effective_policy(
    shipped_floor(),
    parse_policy({"verification": {"per_grant_per_day": 5, "per_record_per_day": 2}}, "dataset"),
)


@pytest.fixture
def setup(session_factory: Factory) -> dict[str, int]:
    """A grant of ``analyst`` on ``census`` and two services on it (ids by name)."""
    with transaction(session_factory) as s:
        health = service.create_organisation(
            s, SYSTEM, name="Health", kind=OrganisationKind.PROVIDER
        )
        provider = service.create_user(
            s, SYSTEM, username="prov", role=Role.PROVIDER, organisation_id=health.id
        )
        authority = actor_of(service.create_user(s, SYSTEM, username="auth", role=Role.AUTHORITY))
        user = service.create_user(s, SYSTEM, username="analyst", role=Role.USER)
        for fact in (EligibilityFact.REAL_NAME_VERIFIED, EligibilityFact.CREDIT_STANDING):
            value = "yes" if fact is EligibilityFact.REAL_NAME_VERIFIED else "good"
            service.set_eligibility(s, authority, user.id, fact=fact, value=value)
        add_catalog_rows(s, health.id, provider.id, AT)
        draft = ApplicationDraft(
            title="Licences",
            reason="checks",
            kind="interface",
            datasets=("census",),
            period_start=date(2026, 3, 1),
            period_end=date(2026, 6, 30),
            results_form="answers",
            scenario="verification",
            security_measures="controls",
            commitment_signed=True,
        )
        made = applications.submit_application(s, actor_of(user), CALENDAR, draft, now=AT)
        applications.form_review(s, authority, CALENDAR, made.id, passed=True, now=AT)
        decided = applications.decide(
            s,
            actor_of(provider),
            CALENDAR,
            made.id,
            approve=True,
            now=AT,
            scope=grants.Scope(grant_budget=1),
        )
        assert decided.grant_id is not None
        grants.accept(
            s,
            actor_of(user),
            AGREEMENT,
            decided.grant_id,
            version="test-1",
            sha256=AGREEMENT.sha256,
            now=AT,
        )
        census = s.execute(select(DatasetRow).where(DatasetRow.name == "census")).scalar_one()
        ids = {"grant": decided.grant_id, "dataset": census.id}
        for name in ("a", "b"):
            row = VerificationServiceRow(
                dataset_id=census.id,
                name=name,
                description="",
                fields=[{"name": "id", "column": "id"}],
                answer="match",
                status="published",
                created_by=provider.id,
                created_at=AT,
                withdrawn_reason="",
            )
            s.add(row)
            s.flush()
            ids[name] = row.id
    return ids


def _charge(
    factory: Factory, ids: dict[str, int], service_name: str, records: list[str], day: date = DAY
) -> Quota:
    with transaction(factory) as s:
        return quotas.charge(
            s,
            service_id=ids[service_name],
            dataset_id=ids["dataset"],
            grant_id=ids["grant"],
            grant_ref="G-1",
            policy=POLICY,
            day=day,
            fingerprints=records,
            retry=60,
        )


def test_the_grant_quota_spans_the_datasets_services_and_refuses_a_call_whole(
    session_factory: Factory, setup: dict[str, int]
) -> None:
    assert _charge(session_factory, setup, "a", ["r1", "r2"]).used_today == 2
    after = _charge(session_factory, setup, "b", ["r3", "r4"])
    assert (after.used_today, after.remaining) == (4, 1)
    with pytest.raises(QuotaExceeded) as refused:
        _charge(session_factory, setup, "a", ["r5", "r6"])
    assert refused.value.limit == "verification.per_grant_per_day"
    assert refused.value.retry_after_seconds == 60
    assert "holds 2, so none was answered; 1 remain" in refused.value.message
    with session_factory() as s:
        assert quotas.used_today(s, setup["dataset"], setup["grant"], DAY) == 4
        assert calls_per_dataset(s, [setup["dataset"]]) == {setup["dataset"]: (2, 4)}
    assert _charge(session_factory, setup, "a", ["r5"]).remaining == 0


def test_the_per_record_quota_counts_one_record_across_calls_and_within_one(
    session_factory: Factory, setup: dict[str, int]
) -> None:
    _charge(session_factory, setup, "a", ["same"])
    with pytest.raises(QuotaExceeded) as refused:
        _charge(session_factory, setup, "a", ["other", "same", "same"])
    assert refused.value.limit == "verification.per_record_per_day"
    assert "record 1" in refused.value.message
    _charge(session_factory, setup, "a", ["same"])  # the second question is allowed
    with pytest.raises(QuotaExceeded):
        _charge(session_factory, setup, "a", ["same"])
    # another service counts its own questions about the record
    _charge(session_factory, setup, "b", ["same"])
    with session_factory() as s:
        assert quotas.used_today(s, setup["dataset"], setup["grant"], DAY) == 3


def test_the_next_day_starts_afresh_and_forgets_yesterdays_fingerprints(
    session_factory: Factory, setup: dict[str, int]
) -> None:
    _charge(session_factory, setup, "a", ["r1", "r1", "r2", "r3", "r4"])
    tomorrow = date(2026, 3, 3)
    assert _charge(session_factory, setup, "a", ["r1"], tomorrow).used_today == 1
    with session_factory() as s:
        days = s.execute(select(VerificationRecordUsageRow.day).distinct()).scalars().all()
        assert days == [tomorrow]
        count = s.execute(select(func.count()).select_from(VerificationRecordUsageRow)).scalar()
        assert count == 1


def test_seconds_left_runs_to_the_end_of_the_local_day() -> None:
    left = CALENDAR.end_of_day(DAY) - AT  # 10:00 in Shanghai: 14 hours to midnight
    assert left.total_seconds() == 14 * 3600
    assert quotas.seconds_left(CALENDAR, DAY, AT) == 14 * 3600 + 1
    assert quotas.seconds_left(CALENDAR, DAY, CALENDAR.end_of_day(DAY)) == 1


def test_a_dataset_policy_tightens_the_verification_quotas_never_loosens_them() -> None:
    floor = shipped_floor()
    assert (floor.verification.per_grant_per_day, floor.verification.per_record_per_day) == (
        1000,
        5,
    )
    tighter = parse_policy({"verification": {"per_grant_per_day": 10}}, PolicyLevel.DATASET)
    check_dataset_policy(floor, tighter)
    assert quotas.limits_of(effective_policy(floor, tighter)) == (10, 5)
    looser = parse_policy({"verification": {"per_record_per_day": 50}}, PolicyLevel.DATASET)
    with pytest.raises(PolicyViolation, match="verification.per_record_per_day 50 is looser"):
        check_dataset_policy(floor, looser)
    grant = parse_policy({"verification": {"per_grant_per_day": 3}}, PolicyLevel.GRANT)
    assert quotas.limits_of(effective_policy(floor, tighter, grant)) == (3, 5)
    with pytest.raises(InvalidRequest, match="verification.per_grant_per_day must be a positive"):
        parse_policy({"verification": {"per_grant_per_day": 0}}, PolicyLevel.DATASET)
    with pytest.raises(InvalidRequest, match="unknown field 'verification.per_day'"):
        parse_policy({"verification": {"per_day": 3}}, PolicyLevel.DATASET)
