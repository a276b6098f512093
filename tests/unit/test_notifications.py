"""Rules of the notifications package on a migrated database: who gets what, in which
language, what is e-mailed, dedupe, reading one's own inbox only, preferences, the deadline
sweep and the outbox's backoff.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.errors import InvalidRequest, NotFound, SandboxInternalError
from sandbox.holiday_sources import build_calendar
from sandbox.identity.model import Actor, Role
from sandbox.notifications import (
    NotificationKind,
    inbox,
    mark_all_read,
    mark_read,
    notify,
    preferences,
    set_preferences,
    unread_count,
)
from sandbox.notifications.deadlines import sweep_deadlines
from sandbox.notifications.delivery import backoff, deliver_due
from sandbox.notifications.model import Language
from sandbox.notifications.texts import TEXTS, check_catalogue, check_params, render
from sandbox.store.db import transaction
from sandbox.store.models import (
    EmailOutboxRow,
    NotificationRow,
    OrganisationRow,
    UserRow,
    WorkflowStageRow,
)


def _org(session: Session, name: str, kind: str) -> int:
    row = OrganisationRow(name=name, kind=kind, created_at=utc_now())
    session.add(row)
    session.flush()
    return row.id


def _user(
    session: Session, name: str, role: str, org: int | None, email: str = "", active: bool = True
) -> Actor:
    row = UserRow(
        username=name,
        display_name=name,
        role=role,
        organisation_id=org,
        active=active,
        created_at=utc_now(),
        email=email,
    )
    session.add(row)
    session.flush()
    return Actor(user_id=row.id, username=name, role=Role(role), organisation_id=org)


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on a migrated SQLite database (PostgreSQL in the postgres run)."""
    return session_factory


def test_every_text_has_the_same_known_fields_in_both_languages() -> None:
    check_catalogue()
    for key, text in TEXTS.items():
        assert text.zh[0] and text.en[0], key


def test_params_must_be_exactly_the_texts_fields_and_plain() -> None:
    good = {"id": 7, "datasets": "census, stops"}
    assert check_params("application.approved", good) == good
    with pytest.raises(SandboxInternalError, match="takes"):
        check_params("application.approved", {"id": 7})
    with pytest.raises(SandboxInternalError, match="takes"):
        check_params("application.approved", {**good, "mean": 3})
    with pytest.raises(SandboxInternalError, match="plain name"):
        check_params("application.approved", {"id": 7, "datasets": "a\nmean income 4211"})
    with pytest.raises(SandboxInternalError, match="str or int"):
        check_params("application.approved", {"id": 7.5, "datasets": "a"})
    with pytest.raises(SandboxInternalError, match="no notification text"):
        check_params("no.such.text", {})


def test_render_uses_the_readers_language_and_labels() -> None:
    params: dict[str, str | int] = {
        "subject": "complaint",
        "id": 3,
        "stage": "answer",
        "due_on": "2026-12-09",
    }
    zh_title, zh_body = render("deadline.passed", params, Language.ZH)
    en_title, en_body = render("deadline.passed", params, Language.EN)
    assert zh_title == "投诉 3 已逾期" and "答复" in zh_body
    assert en_title == "complaint 3 is overdue" and "answer of complaint 3" in en_body


def test_notify_fills_inboxes_and_queues_email_by_preference(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        org = _org(session, "Lab", "user")
        alice = _user(session, "alice", "user", org, "alice@example.org")
        bob = _user(session, "bob", "user", org, "")  # no address: inbox only
        gone = _user(session, "gone", "user", org, "gone@example.org", active=False)
        carol = _user(session, "carol", "user", org, "carol@example.org")
        set_preferences(session, carol, email={"decision": False})
        set_preferences(session, alice, language="en")
        made = notify(
            session,
            [alice.user_id, bob.user_id, gone.user_id, carol.user_id, alice.user_id, None],
            "application.approved",
            subject=("application", 12),
            params={"id": 12, "datasets": "census"},
        )
        assert len(made) == 4  # repeats and None dropped
    with sessions() as session:
        mails = list(session.execute(select(EmailOutboxRow)).scalars())
        assert [(m.to_address, m.language) for m in mails] == [("alice@example.org", "en")]
        assert mails[0].subject == "Application 12 approved"
        page = inbox(session, carol)
        assert page.count == 1 and page.unread == 1
        assert page.data[0].title == "申请 12 已获批准"
        assert page.data[0].kind is NotificationKind.DECISION


def test_dedupe_notifies_an_account_once(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        alice = _user(session, "alice", "user", None, "a@example.org")
        for _ in range(3):
            notify(
                session,
                [alice.user_id],
                "dataset.suspended",
                subject=("dataset", "census"),
                params={"dataset": "census"},
                dedupe="suspension:1",
            )
        assert unread_count(session, alice) == 1


def test_reading_is_own_only_and_read_all_counts(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        alice = _user(session, "alice", "user", None)
        mallory = _user(session, "mallory", "user", None)
        ids = [
            notify(
                session,
                [alice.user_id],
                "result.released",
                subject=("job", n),
                params={"id": n, "datasets": "census"},
            )[0]
            for n in (1, 2, 3)
        ]
    with transaction(sessions) as session:
        with pytest.raises(NotFound):
            mark_read(session, mallory, ids[0])
        assert mark_read(session, alice, ids[0]).read_at is not None
        assert inbox(session, alice, unread_only=True).count == 2
        assert mark_all_read(session, alice) == 2
        assert mark_all_read(session, alice) == 0
        assert inbox(session, mallory).count == 0
        with pytest.raises(InvalidRequest, match="limit"):
            inbox(session, alice, limit=0)


def test_a_bad_preference_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        alice = _user(session, "alice", "user", None, "a@example.org")
    with pytest.raises(InvalidRequest, match="notification kind 'gossip'"):
        with transaction(sessions) as session:
            set_preferences(
                session, alice, language="en", email={"decision": False, "gossip": True}
            )
    with pytest.raises(InvalidRequest, match="language"):
        with transaction(sessions) as session:
            set_preferences(session, alice, language="fr")
    with sessions() as session:
        prefs = preferences(session, alice)
        assert prefs.language is Language.ZH
        assert all(prefs.email.values())


def test_backoff_doubles_up_to_an_hour() -> None:
    settings = Settings(smtp_retry_seconds=30)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(settings, 30).total_seconds() == 3600


def test_outbox_expires_when_email_is_off(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        alice = _user(session, "alice", "user", None, "a@example.org")
        notify(
            session,
            [alice.user_id],
            "result.released",
            subject=("job", 1),
            params={"id": 1, "datasets": "census"},
            now=utc_now() - timedelta(hours=100),
        )
    report = deliver_due(sessions, Settings())
    assert report.expired == 1 and report.sent == 0
    with sessions() as session:
        assert session.execute(select(EmailOutboxRow.status)).scalar_one() == "expired"


def test_deadline_sweep_tells_assignees_once_each(sessions: sessionmaker[Session]) -> None:
    calendar = build_calendar(None)
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # a Monday
    with transaction(sessions) as session:
        provider_org = _org(session, "City data", "provider")
        provider = _user(session, "prov", "provider", provider_org)
        authority = _user(session, "auth", "authority", None)
        soon = _stage(session, 11, "provider", provider_org, date(2026, 12, 8))
        late = _stage(session, 12, "provider", provider_org, date(2026, 12, 1))
        _stage(session, 13, "provider", provider_org, date(2026, 12, 30))  # far off
    for _ in range(2):
        with transaction(sessions) as session:
            report = sweep_deadlines(session, calendar, notice_days=2, now=now)
    assert (report.approaching, report.passed) == (0, 0)  # the second sweep: nothing new
    with sessions() as session:
        rows = session.execute(select(NotificationRow).order_by(NotificationRow.id)).scalars()
        told = sorted((r.recipient_id, r.text_key, r.subject_id) for r in rows)
    assert told == sorted(
        [
            (provider.user_id, "deadline.passed", "12"),
            (authority.user_id, "deadline.passed", "12"),
            (provider.user_id, "deadline.approaching", "11"),
        ]
    )
    assert soon != late


def _stage(session: Session, subject_id: int, role: str, org: int | None, due: date) -> int:
    row = WorkflowStageRow(
        subject_type="application",
        subject_id=subject_id,
        stage="provider_review",
        assignee_role=role,
        assignee_org_id=org,
        working_days=10,
        started_at=datetime(2026, 11, 20, tzinfo=UTC),
        due_on=due,
        due_at=datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(days=1),
        outcome="",
        note="",
    )
    session.add(row)
    session.flush()
    return row.id
