"""Rules of the opening plans, the law-change tasks, public reports and proof attachments on
a migrated database, with a fixed clock and the platform's working-day calendar: deadlines
counted across the National Day holiday, entry states on either side of their date,
the catalog changes that may close a task, and the kinds of file accepted as proof.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.access.attachments import media_type_of, safe_filename
from sandbox.catalog.changes import request_change
from sandbox.catalog.model import OpenAttribute
from sandbox.clock import utc_now
from sandbox.errors import Conflict, InvalidRequest, InvalidUpload, NotFound, PermissionDenied
from sandbox.holiday_sources import build_calendar
from sandbox.identity.model import Actor, Role
from sandbox.notifications.deadlines import sweep_deadlines
from sandbox.oversight import law_changes, opening_plan, public_reports
from sandbox.oversight.opening_plan_model import EntryState, OpeningPlan, PlanStatus
from sandbox.store.db import transaction
from sandbox.store.models import (
    DatasetRow,
    DatasetVersionRow,
    NotificationRow,
    OrganisationRow,
    UserRow,
)
from tests.support.factories import add_catalog_rows

CALENDAR = build_calendar(None)
BEFORE_NATIONAL_DAY = datetime(2026, 9, 29, 3, 0, tzinfo=UTC)
"""A Tuesday morning in Beijing, two days before the National Day holiday."""


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, Actor]:
    """A provider organisation with one provider, another one, a user and the authority;
    the provider's catalog holds ``census`` (conditional) and ``stops`` (unconditional).
    """
    found: dict[str, Actor] = {}
    with transaction(session_factory) as session:
        orgs = {}
        for name, kind in (("Health", "provider"), ("Transport", "provider"), ("Lab", "user")):
            org = OrganisationRow(name=name, kind=kind, created_at=utc_now())
            session.add(org)
            session.flush()
            orgs[name] = org.id
        for username, role, org_name in (
            ("prov", Role.PROVIDER, "Health"),
            ("other", Role.PROVIDER, "Transport"),
            ("alice", Role.USER, "Lab"),
            ("auth", Role.AUTHORITY, None),
        ):
            row = UserRow(
                username=username,
                display_name=username,
                role=str(role),
                organisation_id=orgs[org_name] if org_name else None,
                active=True,
                created_at=utc_now(),
                email="",
            )
            session.add(row)
            session.flush()
            found[username] = Actor(row.id, username, role, row.organisation_id)
        add_catalog_rows(
            session,
            orgs["Health"],
            found["prov"].user_id or 0,
            BEFORE_NATIONAL_DAY - timedelta(days=200),
            [("census", "conditional"), ("stops", "unconditional")],
        )
    return found


# ---- proof files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        ("营业执照编号 91320200\n".encode(), "text/plain"),
    ],
)
def test_proof_is_recognised_from_its_bytes(content: bytes, kind: str) -> None:
    assert media_type_of(content) == kind


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00\x03\x00", b"PK\x03\x04zip", b"text with a \x00 byte", b"\xff\xfe\x00bad utf"],
)
def test_other_files_are_refused_as_proof(content: bytes) -> None:
    with pytest.raises(InvalidUpload, match="PDF"):
        media_type_of(content)


def test_proof_file_names_are_made_safe_for_a_header() -> None:
    assert safe_filename('licence "2026".pdf') == "licence_2026.pdf"
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\scans\\营业执照.pdf") == "attachment.pdf"
    assert safe_filename("   ") == "attachment"
    assert safe_filename(".pdf") == "attachment.pdf"


# ---- opening plans -------------------------------------------------------------------------


def test_entry_states_follow_the_date_and_the_catalog(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    prov, auth = people["prov"], people["auth"]
    assert prov.organisation_id is not None
    now = BEFORE_NATIONAL_DAY
    with transaction(session_factory) as session:
        for name, due in (
            ("stops", date(2026, 4, 1)),  # in the catalog since before its date
            ("bus_lines", date(2026, 6, 30)),  # missing past its date
            ("parking", date(2026, 12, 31)),  # missing, not due yet
            ("late_data", date(2026, 5, 1)),  # passed after its date
        ):
            plan = opening_plan.add_entry(
                session,
                prov,
                CALENDAR,
                organisation_id=prov.organisation_id,
                year=2026,
                dataset=name,
                title=name,
                open_attribute="unconditional",
                due_on=due,
                now=now,
            )
        add_catalog_rows(
            session,
            prov.organisation_id,
            prov.user_id or 0,
            datetime(2026, 7, 15, 2, 0, tzinfo=UTC),
            [("late_data", "unconditional")],
        )
        # a dataset of that name waiting for review does not count
        waiting = DatasetRow(
            title="parking",
            description="",
            open_conditions="",
            data_format="parquet",
            name="parking",
            provider_org_id=prov.organisation_id,
            open_attribute="unconditional",
            data_type="table",
            update_frequency="yearly",
            contact="c",
            legal_basis="",
            privacy_unit=None,
            dictionary=[],
            created_by=prov.user_id or 0,
            created_at=now,
            updated_at=now,
        )
        session.add(waiting)
        session.flush()
        session.add(
            DatasetVersionRow(
                dataset_id=waiting.id,
                version=1,
                storage_path="",
                source_format="parquet",
                row_count=0,
                byte_size=0,
                sha256="",
                quality={},
                note="",
                created_by=prov.user_id or 0,
                created_at=now,
                review_status="submitted",
            )
        )
        session.flush()
        seen = opening_plan.get_plan(session, auth, CALENDAR, plan.id, now=now)
    states = {e.dataset: e.state for e in seen.entries}
    assert states == {
        "stops": EntryState.MET,
        "bus_lines": EntryState.OVERDUE,
        "parking": EntryState.PENDING,
        "late_data": EntryState.MET_LATE,
    }
    assert {e.dataset: e.met_on for e in seen.entries}["late_data"] == date(2026, 7, 15)
    # not yet published: a visitor does not see it, and it is not in the statistics
    with transaction(session_factory) as session:
        with pytest.raises(NotFound):
            opening_plan.get_plan(session, None, CALENDAR, plan.id, now=now)
        assert opening_plan.progress(session, CALENDAR, now) == ()
        opening_plan.decide_plan(session, auth, CALENDAR, plan.id, approve=True, now=now)
        (progress,) = opening_plan.progress(session, CALENDAR, now)
        public = opening_plan.get_plan(session, None, CALENDAR, plan.id, now=now)
    assert public.status is PlanStatus.PUBLISHED
    assert (progress.entries, progress.met, progress.met_late, progress.overdue) == (4, 1, 1, 1)


def test_plan_edits_are_refused_to_others_and_after_publication(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    prov, other, auth = people["prov"], people["other"], people["auth"]
    assert prov.organisation_id is not None

    def add(session: Session, who: Actor, name: str) -> OpeningPlan:
        assert prov.organisation_id is not None
        return opening_plan.add_entry(
            session,
            who,
            CALENDAR,
            organisation_id=prov.organisation_id,
            year=2027,
            dataset=name,
            title="t",
            open_attribute="conditional",
            due_on=date(2027, 5, 1),
        )

    with transaction(session_factory) as session:
        with pytest.raises(PermissionDenied):
            add(session, other, "x_data")
        plan = add(session, prov, "x_data")
        with pytest.raises(Conflict, match="already lists"):
            add(session, prov, "x_data")
        with pytest.raises(Conflict, match="nothing was submitted"):
            opening_plan.decide_plan(session, auth, CALENDAR, plan.id, approve=False, note="n")
        opening_plan.submit_plan(session, prov, CALENDAR, plan.id)
        with pytest.raises(Conflict, match="only the authority"):
            add(session, prov, "y_data")
        amended = add(session, auth, "y_data")
    assert [e.dataset for e in amended.entries] == ["x_data", "y_data"]


# ---- law changes ---------------------------------------------------------------------------


def test_a_task_is_due_15_working_days_after_the_change_across_national_day(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    auth, prov = people["auth"], people["prov"]
    changed_on = date(2026, 9, 29)
    with transaction(session_factory) as session:
        made = law_changes.record_change(
            session,
            auth,
            CALENDAR,
            kind="law_revision",
            citation="Personal Information Protection Law, art. 13",
            changed_on=changed_on,
            datasets=["census", "stops"],
            now=BEFORE_NATIONAL_DAY + timedelta(days=1),
        )
    due = made.tasks[0].stages[0].due_on
    assert due == CALENDAR.add_working_days(changed_on, 15)
    # the holiday (1-8 October) is skipped: 15 weekdays would have ended on 20 October
    assert due > date(2026, 10, 20)
    assert {t.dataset for t in made.tasks} == {"census", "stops"}

    later = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    with transaction(session_factory) as session:
        assert law_changes.task_figures(session, CALENDAR, later) == (2, 2, 0)
        census = next(t for t in made.tasks if t.dataset == "census")
        # a closing names a catalog change that happened: no policy was set since
        with pytest.raises(InvalidRequest, match="no policy"):
            law_changes.close_task(
                session, prov, CALENDAR, census.id, resolution="policy_change", now=later
            )
        change = request_change(
            session,
            prov,
            "census",
            to_attribute=OpenAttribute.CLOSED,
            legal_basis="PIPL art. 13",
        )
        closed = law_changes.close_task(
            session,
            prov,
            CALENDAR,
            census.id,
            resolution="attribute_change",
            reference=change.id,
            now=later,
        )
        assert closed.stages[0].closed_at == later
        assert law_changes.task_figures(session, CALENDAR, later) == (1, 1, 1)


def test_a_change_of_law_is_recorded_by_the_authority_only_and_not_in_the_future(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    with transaction(session_factory) as session:
        with pytest.raises(PermissionDenied):
            law_changes.record_change(
                session,
                people["prov"],
                CALENDAR,
                kind="law_revision",
                citation="c",
                changed_on=date(2026, 9, 1),
                datasets=["census"],
                now=BEFORE_NATIONAL_DAY,
            )
        with pytest.raises(InvalidRequest, match="future"):
            law_changes.record_change(
                session,
                people["auth"],
                CALENDAR,
                kind="law_revision",
                citation="c",
                changed_on=date(2026, 10, 1),
                datasets=["census"],
                now=BEFORE_NATIONAL_DAY,
            )
        assert law_changes.list_changes(session, people["auth"], CALENDAR) == []


# ---- public reports ------------------------------------------------------------------------


def test_a_report_is_answered_within_10_working_days_and_seen_by_those_it_concerns(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    with transaction(session_factory) as session:
        made = public_reports.submit(
            session,
            None,
            CALENDAR,
            kind="security",
            dataset="census",
            description="the census extract leaks names",
            contact="+86 510 8888 0000",
            now=BEFORE_NATIONAL_DAY,
        )
        assert made.stages[0].due_on == CALENDAR.add_working_days(date(2026, 9, 29), 10)
        assert made.stages[0].due_on > date(2026, 10, 13)  # past the holiday
        for who, sees in (("prov", True), ("auth", True), ("other", False), ("alice", False)):
            listed = public_reports.list_reports(session, people[who], CALENDAR)
            assert (made.id in {r.id for r in listed}) is sees, who
        with pytest.raises(PermissionDenied, match="provider"):
            public_reports.answer(
                session,
                people["auth"],
                CALENDAR,
                made.id,
                outcome="rectification",
                text="t",
                user_id=people["alice"].user_id,
            )
        done = public_reports.answer(
            session, people["prov"], CALENDAR, made.id, outcome="resolved", text="fixed"
        )
        assert done.current_stage is None
        assert public_reports.report_figures(session, CALENDAR, utc_now()) == (0, 0, 1)
        assert (done.reporter, done.contact) == (None, "+86 510 8888 0000")


def test_the_deadline_sweep_tells_the_provider_and_the_authority_of_a_late_task(
    session_factory: sessionmaker[Session], people: dict[str, Actor]
) -> None:
    with transaction(session_factory) as session:
        made = law_changes.record_change(
            session,
            people["auth"],
            CALENDAR,
            kind="function_change",
            citation="Bureau merged",
            changed_on=date(2026, 9, 1),
            datasets=["stops"],
            now=BEFORE_NATIONAL_DAY,
        )
    task_id = made.tasks[0].id
    later = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    with transaction(session_factory) as session:
        sweep_deadlines(session, CALENDAR, notice_days=3, now=later)
        sweep_deadlines(session, CALENDAR, notice_days=3, now=later)  # tells nobody twice
        told = session.execute(
            select(NotificationRow.recipient_id, NotificationRow.text_key).where(
                NotificationRow.subject_type == "law_change_task",
                NotificationRow.subject_id == str(task_id),
            )
        ).all()
    assert sorted(told) == sorted(
        [
            (people["prov"].user_id, "task.assigned"),
            (people["prov"].user_id, "deadline.passed"),
            (people["auth"].user_id, "deadline.passed"),
        ]
    )
