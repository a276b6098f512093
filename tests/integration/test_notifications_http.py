"""Notifications over the real HTTP server, with e-mail to a real SMTP server on loopback
(aiosmtpd, started here): a provider's decision lands in the applicant's inbox and in their
mailbox, in their language, with no data in it; preferences turn e-mail off (the inbox
still has it); the deadline sweep notifies once each; a mail server that is down never
fails the request, and the outbox delivers when it is back; nobody reads another's inbox;
bad input is a 4xx that changes nothing; the client and the CLI.
"""

from __future__ import annotations

import email
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from sandbox.client import SandboxClient
from sandbox.store.db import transaction
from sandbox.store.models import EmailOutboxRow, UserRow, WorkflowStageRow
from tests.support.datafiles import SECRET_MARKER, metadata, parquet_bytes, people_table, register
from tests.support.http import ok, refused
from tests.support.server import LiveServer, create_accounts, free_port, start_server, stop_server
from tests.support.world import World, make_eligible, today, world_of

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
ADDRESSES = {
    "user": "nt-user@example.org",
    "provider": "nt-provider@example.org",
    "authority": "nt-authority@example.org",
}
REFUSAL_REASON = "income of 10000.5 in North is too revealing"
"""A refusal's free text that quotes data: it must never reach an inbox or an e-mail."""


class Mailbox:
    """What the loopback SMTP server received: (envelope recipients, message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def wait_for(
        self, address: str, match: Callable[[EmailMessage], bool], timeout: float = 60.0
    ) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if match(m)]
            if found:
                return found[0]
            time.sleep(0.1)
        subjects = [str(m["Subject"]) for m in self.to(address)]
        raise AssertionError(f"no matching e-mail to {address} within {timeout} s: {subjects}")


class SmtpServer:
    """aiosmtpd on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("notifications") / "var",
        {
            "SANDBOX_SMTP_HOST": "127.0.0.1",
            "SANDBOX_SMTP_PORT": str(smtp.port),
            "SANDBOX_SMTP_SECURITY": "none",
            "SANDBOX_SMTP_FROM": "sandbox@data.example.cn",
            "SANDBOX_SMTP_TIMEOUT_SECONDS": "5",
            "SANDBOX_SMTP_RETRY_SECONDS": "0.5",
            "SANDBOX_NOTIFICATION_POLL_SECONDS": "0.2",
            "SANDBOX_PUBLIC_URL": "https://data.example.cn",
            "SANDBOX_DEADLINE_NOTICE_WORKING_DAYS": "5",
        },
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    platform = server.open_platform()
    try:
        accounts = create_accounts(platform)
        with transaction(platform.sessions) as session:
            for name, address in ADDRESSES.items():
                session.execute(
                    update(UserRow).where(UserRow.id == accounts[name].id).values(email=address)
                )
    finally:
        platform.close()
    made = world_of(server, accounts)
    with made.client("provider") as provider:
        ok(register(provider, parquet_bytes(people_table(30)), metadata("nt_cond")), 201)
    make_eligible(made, "user")
    return made


def _apply(world: World) -> int:
    body = {
        "title": "Commuting study",
        "reason": "research",
        "type": "dataset",
        "datasets": ["nt_cond"],
        "period_start": today().isoformat(),
        "period_end": (today() + timedelta(days=60)).isoformat(),
        "results_form": "tables",
        "scenario": "s",
        "security_measures": "m",
        "commitment_signed": True,
    }
    with world.client("user") as user:
        return int(ok(user.post("/v1/applications", json=body), 201)["id"])


def _pass_form(world: World, app_id: int) -> None:
    with world.client("authority") as authority:
        ok(authority.post(f"/v1/applications/{app_id}/form-review", json={"outcome": "pass"}))


def _inbox(world: World, who: str, **params: Any) -> dict[str, Any]:
    with world.client(who) as client:
        return dict(ok(client.get("/v1/notifications", params=params)))


def _about(page: dict[str, Any], key: str, subject_id: int | str) -> list[dict[str, Any]]:
    return [n for n in page["data"] if n["key"] == key and n["subject"]["id"] == str(subject_id)]


def _no_data_in(message: EmailMessage) -> None:
    text = str(message["Subject"]) + message.get_content()
    for value in (SECRET_MARKER, "10000.5", "North", REFUSAL_REASON):
        assert value not in text, value


def test_a_decision_reaches_the_inbox_and_the_mailbox(world: World, smtp: SmtpServer) -> None:
    app_id = _apply(world)
    _pass_form(world, app_id)
    with world.client("provider") as provider:
        decision = {"outcome": "approve", "grant_budget": 1}
        ok(provider.post(f"/v1/applications/{app_id}/decision", json=decision))
    page = _inbox(world, "user", unread="true")
    (approved,) = _about(page, "application.approved", app_id)
    assert approved["kind"] == "decision" and approved["read_at"] is None
    assert approved["title"] == f"申请 {app_id} 已获批准"  # Chinese: the default language
    assert page["unread"] >= 1
    mail = smtp.mailbox.wait_for(ADDRESSES["user"], lambda m: f"申请 {app_id} " in m["Subject"])
    assert mail["To"] == ADDRESSES["user"]
    assert mail["From"] == "sandbox@data.example.cn"
    assert mail["Subject"] == f"[数据沙箱] 申请 {app_id} 已获批准"
    assert mail["Content-Language"] == "zh-CN"
    assert "nt_cond" in mail.get_content()
    assert "https://data.example.cn/console/inbox" in mail.get_content()
    _no_data_in(mail)


def test_email_in_english_and_turned_off_per_kind(world: World, smtp: SmtpServer) -> None:
    with world.client("user") as user:
        prefs = ok(
            user.put(
                "/v1/notifications/preferences",
                json={"language": "en", "email": {"decision": False}},
            )
        )
    assert prefs["language"] == "en" and prefs["email"]["decision"] is False
    assert prefs["email"]["returned"] is True and prefs["email_address"] == ADDRESSES["user"]
    refused_id = _apply(world)
    _pass_form(world, refused_id)
    with world.client("provider") as provider:
        refusal = {"outcome": "refuse", "reason": REFUSAL_REASON, "legal_basis": "art. 28"}
        ok(provider.post(f"/v1/applications/{refused_id}/decision", json=refusal))
    returned_id = _apply(world)
    with world.client("authority") as authority:
        back = {"outcome": "return", "reason": REFUSAL_REASON}
        ok(authority.post(f"/v1/applications/{returned_id}/form-review", json=back))
    page = _inbox(world, "user")
    (refusal_note,) = _about(page, "application.refused", refused_id)
    assert refusal_note["title"] == f"Application {refused_id} refused"
    assert REFUSAL_REASON not in refusal_note["body"]
    mail = smtp.mailbox.wait_for(
        ADDRESSES["user"], lambda m: f"Application {returned_id} returned" in m["Subject"]
    )
    assert mail["Content-Language"] == "en"
    _no_data_in(mail)
    # The refusal was queued before the return, so it would have been sent by now: e-mail
    # for decisions is off, and only the inbox has it.
    assert not [m for m in smtp.mailbox.to(ADDRESSES["user"]) if "refused" in m["Subject"]]
    with world.client("user") as user:
        ok(user.put("/v1/notifications/preferences", json={"email": {"decision": True}}))


def test_bad_input_is_refused_and_changes_nothing(world: World) -> None:
    with world.client("user") as user:
        before = ok(user.get("/v1/notifications/preferences"))
        refused(
            user.put(
                "/v1/notifications/preferences",
                json={"language": "zh", "email": {"returned": False, "gossip": True}},
            ),
            422,
            "gossip",
        )
        refused(user.put("/v1/notifications/preferences", json={"language": "fr"}), 422, "fr")
        refused(
            user.put("/v1/notifications/preferences", json={"email": {"returned": "no"}}),
            422,
        )
        refused(user.put("/v1/notifications/preferences", json={"colour": "red"}), 422)
        assert ok(user.get("/v1/notifications/preferences")) == before
        refused(user.get("/v1/notifications", params={"limit": 0}), 422, "limit")
        refused(user.get("/v1/notifications", params={"kind": "gossip"}), 422, "kind")
        refused(user.post("/v1/notifications/0/read"), 422)
    with world.server.client() as anonymous:
        refused(anonymous.get("/v1/notifications"), 401)


def test_another_accounts_notification_is_not_found(world: World) -> None:
    mine = _inbox(world, "user", unread="true")["data"][0]
    with world.client("reviewer") as reviewer:
        refused(reviewer.post(f"/v1/notifications/{mine['id']}/read"), 404, "no notification")
        refused(reviewer.post("/v1/notifications/999999/read"), 404, "no notification")
        assert all(n["id"] != mine["id"] for n in ok(reviewer.get("/v1/notifications"))["data"])
    still = [n for n in _inbox(world, "user")["data"] if n["id"] == mine["id"]]
    assert still[0]["read_at"] is None
    with world.client("user") as user:
        assert ok(user.post(f"/v1/notifications/{mine['id']}/read"))["read_at"] is not None
        done = ok(user.post("/v1/notifications/read-all"))
        assert done["unread"] == 0 and done["marked"] >= 0
    assert _inbox(world, "user", unread="true")["count"] == 0


def _sweep(world: World) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sandbox.cli", "notifications", "sweep"],
        env=world.server.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_deadline_sweep_notifies_approaching_and_passed_once(
    world: World, smtp: SmtpServer
) -> None:
    soon_id, late_id = _apply(world), _apply(world)  # form review: the authority's, 5 days
    platform = world.server.open_platform()
    try:
        with transaction(platform.sessions) as session:
            session.execute(
                update(WorkflowStageRow)
                .where(
                    WorkflowStageRow.subject_type == "application",
                    WorkflowStageRow.subject_id == late_id,
                )
                .values(due_on=today() - timedelta(days=10))  # as if ten days went by
            )
    finally:
        platform.close()
    first = re.search(r"deadlines: (\d+) approaching, (\d+) passed", _sweep(world))
    assert first is not None and int(first[1]) >= 1 and int(first[2]) >= 1
    again = _sweep(world)
    assert "deadlines: 0 approaching, 0 passed" in again
    page = _inbox(world, "authority", limit=200)
    assert len(_about(page, "deadline.approaching", soon_id)) == 1
    (late,) = _about(page, "deadline.passed", late_id)
    assert late["title"] == f"申请 {late_id} 已逾期"
    assert not _about(page, "deadline.approaching", late_id)
    smtp.mailbox.wait_for(
        ADDRESSES["authority"], lambda m: f"申请 {late_id} 已逾期" in m["Subject"]
    )
    time.sleep(1.0)  # a duplicate would have been sent by now
    overdue = [
        m for m in smtp.mailbox.to(ADDRESSES["authority"]) if f"{late_id} 已逾期" in m["Subject"]
    ]
    assert len(overdue) == 1


def test_the_client_and_the_cli(world: World) -> None:
    with SandboxClient(world.server.url, world.tokens["user"]) as client:
        page = client.notifications(limit=5)
        assert page["count"] >= 3 and len(page["data"]) <= 5
        assert client.notification_preferences()["language"] == "en"
        changed = client.set_notification_preferences(email={"reminder": False})
        assert changed["email"]["reminder"] is False
        first = page["data"][0]["id"]
        assert client.mark_notification_read(first)["id"] == first
    base = [sys.executable, "-m", "sandbox.cli", "notifications"]
    remote = ["--url", world.server.url, "--token", world.tokens["user"]]
    listed = subprocess.run(
        [*base, "list", *remote], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    assert "Application" in listed.stdout
    prefs = subprocess.run(
        [*base, "preferences", "--language", "zh", "--email", "reminder=on", *remote],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prefs.returncode == 0, prefs.stderr
    assert "language zh" in prefs.stdout
    bad = subprocess.run(
        [*base, "preferences", "--email", "reminder=maybe", *remote],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "KIND=on" in bad.stderr + bad.stdout


def test_reads_preferences_and_emails_are_audited(world: World) -> None:
    def entries(action: str) -> list[dict[str, Any]]:
        with world.client("auditor") as auditor:
            found = ok(auditor.get("/v1/audit", params={"action": action, "limit": 1000}))
        return [e for e in found["data"] if e["action"] == action]

    user_id = str(world.ids["user"])
    assert [e for e in entries("notification.preferences_set") if e["object_id"] == user_id]
    assert [e for e in entries("notification.read_all") if e["actor"] == "user"]
    assert [e for e in entries("notification.read") if e["actor"] == "user"]
    emailed = entries("notification.emailed")
    assert emailed and all(e["actor"] == "system" for e in emailed)
    for entry in emailed:  # who and how often, never an address or the words
        assert set(entry["detail"]) == {"recipient_id", "attempts", "error"}
        assert "@" not in str(entry["detail"])


def test_a_mail_server_that_is_down_never_fails_the_request(world: World, smtp: SmtpServer) -> None:
    smtp.stop()
    try:
        app_id = _apply(world)
        started = time.monotonic()
        with world.client("authority") as authority:
            back = {"outcome": "return", "reason": "incomplete"}
            ok(authority.post(f"/v1/applications/{app_id}/form-review", json=back))
        assert time.monotonic() - started < 10
        assert _about(_inbox(world, "user"), "application.returned", app_id)
        row = _wait_for_outbox(world, lambda r: r.attempts >= 2 and r.status == "queued")
        assert row.last_error and "@" not in row.last_error
    finally:
        smtp.start()
    smtp.mailbox.wait_for(ADDRESSES["user"], lambda m: f"申请 {app_id} 被退回" in m["Subject"])
    sent = _wait_for_outbox(world, lambda r: r.status == "sent" and r.id == row.id)
    assert sent.attempts >= 3


def _wait_for_outbox(
    world: World, match: Callable[[EmailOutboxRow], bool], timeout: float = 60.0
) -> EmailOutboxRow:
    deadline = time.monotonic() + timeout
    platform = world.server.open_platform()
    try:
        while time.monotonic() < deadline:
            with platform.sessions() as session:
                rows = session.execute(
                    select(EmailOutboxRow).order_by(EmailOutboxRow.id.desc()).limit(1)
                ).scalars()
                found = [r for r in rows if match(r)]
                if found:
                    session.expunge(found[0])
                    return found[0]
            time.sleep(0.2)
    finally:
        platform.close()
    raise AssertionError("the outbox never reached the expected state")
