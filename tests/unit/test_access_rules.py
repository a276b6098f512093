"""Pure rules of the access workflow: eligibility, completeness, transitions, expiry, scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox.access.agreement import load_agreement, parse_agreement
from sandbox.access.errors import IncompleteApplication, NotEligible
from sandbox.access.model import (
    ApplicationDraft,
    ApplicationKind,
    ApplicationStatus,
    DemandStatus,
    Grant,
    GrantStatus,
    JobKind,
)
from sandbox.access.rules import (
    check_draft,
    eligibility_failures,
    grant_gap,
    grant_status_at,
    missing_fields,
    require_application_step,
    require_demand_step,
    require_grant_step,
)
from sandbox.config import DEFAULT_AGREEMENT_PATH
from sandbox.errors import Conflict, InvalidRequest

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)

COMPLETE = ApplicationDraft(
    title="Income study",
    reason="research",
    kind="dataset",
    datasets=("census",),
    period_start=TODAY,
    period_end=TODAY + timedelta(days=90),
    results_form="tables",
    scenario="policy evaluation",
    security_measures="access control",
    commitment_signed=True,
)


@pytest.mark.parametrize(
    ("facts", "needles"),
    [
        ({"real_name_verified": "yes", "credit_standing": "good"}, []),
        ({}, ["real-name verification is not recorded", "no credit standing"]),
        ({"real_name_verified": "no", "credit_standing": "good"}, ["not real-name verified"]),
        ({"real_name_verified": "yes", "credit_standing": "dishonest_debtor"}, ["dishonest"]),
        (
            {"real_name_verified": "yes", "credit_standing": "serious_violation"},
            ["serious violations"],
        ),
    ],
)
def test_eligibility_names_every_failed_condition(
    facts: dict[str, str], needles: list[str]
) -> None:
    failed = eligibility_failures(facts)
    assert len(failed) == len(needles)
    for needle, message in zip(needles, failed, strict=True):
        assert needle in message
    if failed:
        assert "Qingdao art. 16" in NotEligible(failed).message


def test_an_empty_application_names_every_field() -> None:
    missing = missing_fields(ApplicationDraft())
    assert [m.split()[0] for m in missing] == [
        "title",
        "reason",
        "type",
        "datasets",
        "period_start",
        "period_end",
        "results_form",
        "scenario",
        "security_measures",
        "commitment_signed",
    ]
    with pytest.raises(IncompleteApplication) as refused:
        check_draft(ApplicationDraft(title="  "), TODAY)
    assert "title" in refused.value.message and "security_measures" in refused.value.message


def test_an_unsigned_commitment_is_missing() -> None:
    with pytest.raises(IncompleteApplication, match="commitment_signed"):
        check_draft(replace(COMPLETE, commitment_signed=False), TODAY)
    assert check_draft(COMPLETE, TODAY) is ApplicationKind.DATASET


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"kind": "spreadsheet"}, "not one of: dataset, interface"),
        (
            {
                "period_end": TODAY - timedelta(days=200),
                "period_start": TODAY - timedelta(days=300),
            },
            "in the past",
        ),
        ({"period_end": TODAY - timedelta(days=1)}, "before it starts"),
        ({"period_end": TODAY + timedelta(days=4000)}, "at most"),
        ({"datasets": ("a", "a")}, "twice"),
        ({"reason": "x" * 20_001}, "longer"),
    ],
)
def test_inconsistent_applications_are_refused(change: dict[str, object], needle: str) -> None:
    with pytest.raises(InvalidRequest, match=needle):
        check_draft(replace(COMPLETE, **change), TODAY)  # type: ignore[arg-type]


def test_steps_start_only_from_their_state() -> None:
    require_application_step("form review", ApplicationStatus.SUBMITTED, 1)
    with pytest.raises(Conflict, match="application 1 is returned"):
        require_application_step("form review", ApplicationStatus.RETURNED, 1)
    with pytest.raises(Conflict):
        require_application_step("provider decision", ApplicationStatus.SUBMITTED, 1)
    require_demand_step("opening", DemandStatus.AGREED, 2)
    with pytest.raises(Conflict):
        require_demand_step("opening", DemandStatus.REFUSED, 2)
    require_grant_step("resume", GrantStatus.SUSPENDED, "grant-1")
    for step, state in (
        ("accept", GrantStatus.ACTIVE),
        ("suspend", GrantStatus.SUSPENDED),
        ("resume", GrantStatus.ACTIVE),
        ("revoke", GrantStatus.REVOKED),
        ("revoke", GrantStatus.EXPIRED),
        ("accept", GrantStatus.EXPIRED),
    ):
        with pytest.raises(Conflict, match=f"grant-1 is {state}"):
            require_grant_step(step, state, "grant-1")


def test_grants_expire_on_read_without_a_timer() -> None:
    until = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    before, after = until - timedelta(seconds=1), until
    for stored in (GrantStatus.ACTIVE, GrantStatus.SUSPENDED, GrantStatus.PENDING_ACCEPTANCE):
        assert grant_status_at(stored, until, before) is stored
        assert grant_status_at(stored, until, after) is GrantStatus.EXPIRED
    assert grant_status_at(GrantStatus.REVOKED, until, after) is GrantStatus.REVOKED


def grant(**changes: object) -> Grant:
    base = Grant(
        id=1,
        ref="grant-1",
        application_id=1,
        holder_id=7,
        holder="u",
        provider_org_id=2,
        provider_org="Health",
        datasets=("census",),
        job_kinds=(JobKind.DP,),
        policy={},
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
        valid_from=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
        valid_until=datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
        stored_status=GrantStatus.ACTIVE,
        status=GrantStatus.ACTIVE,
        status_reason="",
        created_at=NOW,
        approved_by="p",
        agreement_version="1",
        agreement_sha256="0" * 64,
        accepted_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "dataset", "kind", "at", "needle"),
    [
        ({}, "census", JobKind.DP, datetime(2026, 12, 5, tzinfo=UTC), None),
        ({}, "other", JobKind.DP, datetime(2026, 12, 5, tzinfo=UTC), "does not cover"),
        ({}, "census", JobKind.RAW, datetime(2026, 12, 5, tzinfo=UTC), "allows dp jobs only"),
        ({}, "census", JobKind.DP, datetime(2026, 11, 30, 15, 59, tzinfo=UTC), "starts on"),
        ({}, "census", JobKind.DP, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "expired"),
        (
            {"stored_status": GrantStatus.SUSPENDED, "status_reason": "complaint 4"},
            "census",
            JobKind.DP,
            datetime(2026, 12, 5, tzinfo=UTC),
            "suspended by the provider: complaint 4",
        ),
        (
            {"stored_status": GrantStatus.PENDING_ACCEPTANCE},
            "census",
            JobKind.DP,
            datetime(2026, 12, 5, tzinfo=UTC),
            "accept its agreement",
        ),
        (
            {"stored_status": GrantStatus.REVOKED},
            "census",
            JobKind.DP,
            datetime(2026, 12, 5, tzinfo=UTC),
            "revoked",
        ),
    ],
)
def test_grant_gap_says_why_a_grant_does_not_cover_a_use(
    changes: dict[str, object], dataset: str, kind: JobKind, at: datetime, needle: str | None
) -> None:
    gap = grant_gap(grant(**changes), dataset, kind, at)
    if needle is None:
        assert gap is None
    else:
        assert gap is not None and needle in gap


def test_the_shipped_agreement_has_a_version_and_a_hash() -> None:
    agreement = load_agreement(DEFAULT_AGREEMENT_PATH)
    assert agreement.version == "2026.1"
    assert agreement.text.startswith("# Conditional data use agreement")
    assert len(agreement.sha256) == 64
    for bad in ("no front matter", "---\nversion: 1\nno end", "---\ntitle: x\n---\ntext"):
        with pytest.raises(InvalidRequest):
            parse_agreement(bad)
