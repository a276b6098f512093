"""Sending notification e-mail to real SMTP servers on loopback (aiosmtpd): STARTTLS with a
login, verified against a private CA; SSL from the start; a certificate the platform does
not trust and a wrong password refused (the delivery loop retries); the outbox's retries,
backoff and final failure, audited without an address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox import audit
from sandbox.audit import AuditQuery
from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.notifications import notify
from sandbox.notifications.delivery import deliver_due
from sandbox.notifications.mail import compose, send
from sandbox.notifications.model import Language
from sandbox.store.db import transaction
from sandbox.store.models import EmailOutboxRow, UserRow
from tests.support.server import free_port

LOGIN, PASSWORD = "mailer", "s3cret-mail"


@dataclass
class Received:
    messages: list[tuple[list[str], Any]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login.decode())
        good = data.login.decode() == LOGIN and data.password.decode() == PASSWORD
        return AuthResult(success=good, handled=False)  # False: the server answers 535


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (a private CA of its own)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox test mail")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    made = Certificate(folder / "cert.pem", folder / "key.pem")
    made.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    made.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return made


def _server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@pytest.fixture
def starttls(certificate: Certificate) -> Iterator[tuple[Controller, Received]]:
    """A server that requires STARTTLS and a login before it takes mail."""
    received = Received()
    controller = Controller(
        received,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=_server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=received.authenticate,
        auth_exclude_mechanism=["LOGIN"],  # PLAIN only: a refusal is one clear 535
    )
    controller.start()
    yield controller, received
    controller.stop()


def _settings(port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "sandbox@data.example.cn",
        "smtp_timeout_seconds": 5,
        **overrides,
    }
    return Settings(**values)


def _message(settings: Settings) -> Any:
    return compose(
        settings, to="ana@example.org", language=Language.EN, title="Hello", body="A body."
    )


def test_starttls_with_a_login_verified_against_a_private_ca(
    starttls: tuple[Controller, Received], certificate: Certificate
) -> None:
    controller, received = starttls
    settings = _settings(
        controller.port,
        smtp_security="starttls",
        smtp_user=LOGIN,
        smtp_password=PASSWORD,
        smtp_ca_file=certificate.cert,
    )
    send(settings, _message(settings))
    ((rcpt, message),) = received.messages
    assert rcpt == ["ana@example.org"] and message["Subject"] == "[Data sandbox] Hello"
    assert received.logins == [LOGIN]


def test_an_untrusted_certificate_and_a_wrong_password_are_refused(
    starttls: tuple[Controller, Received], certificate: Certificate
) -> None:
    controller, received = starttls
    untrusted = _settings(
        controller.port, smtp_security="starttls", smtp_user=LOGIN, smtp_password=PASSWORD
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        send(untrusted, _message(untrusted))
    wrong = _settings(
        controller.port,
        smtp_security="starttls",
        smtp_user=LOGIN,
        smtp_password="guess",
        smtp_ca_file=certificate.cert,
    )
    with pytest.raises(smtplib.SMTPAuthenticationError, match="535"):
        send(wrong, _message(wrong))
    assert received.messages == []


def test_ssl_from_the_start(certificate: Certificate) -> None:
    received = Received()
    controller = Controller(
        received,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=_server_context(certificate),
    )
    controller.start()
    try:
        settings = _settings(controller.port, smtp_security="ssl", smtp_ca_file=certificate.cert)
        send(settings, _message(settings))
    finally:
        controller.stop()
    assert len(received.messages) == 1


def test_the_outbox_retries_with_backoff_then_gives_up_audited(
    session_factory: sessionmaker[Session],
) -> None:
    port = free_port()  # nothing listens there
    settings = _settings(port, smtp_security="none", smtp_retry_seconds=60, smtp_max_attempts=2)
    with transaction(session_factory) as session:
        user = UserRow(
            username="ana",
            display_name="Ana",
            role="user",
            active=True,
            created_at=utc_now(),
            email="ana@example.org",
        )
        session.add(user)
        session.flush()
        notify(
            session,
            [user.id],
            "dataset.resumed",
            subject=("dataset", "census"),
            params={"dataset": "census"},
        )
    first = deliver_due(session_factory, settings)
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    with session_factory() as session:
        row = session.execute(select(EmailOutboxRow)).scalar_one()
        assert row.status == "queued" and row.attempts == 1
        assert row.last_error == "ConnectionRefusedError"
        wait = row.next_attempt_at - utc_now()
        assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)
    assert deliver_due(session_factory, settings).retrying == 0  # not due yet
    later = utc_now() + dt.timedelta(seconds=61)
    final = deliver_due(session_factory, settings, now=later)
    assert (final.sent, final.retrying, final.failed) == (0, 0, 1)
    with session_factory() as session:
        row = session.execute(select(EmailOutboxRow)).scalar_one()
        assert row.status == "failed" and row.attempts == 2
        (entry,) = audit.list_entries(session, AuditQuery(action="notification.email_failed"))
    assert entry.detail == {"recipient_id": user.id, "attempts": 2, "error": row.last_error}
