"""Composing and sending one notification e-mail with the standard library.

The message is plain text in the recipient's language (``Content-Language`` says which),
with the inbox's address when the platform knows its own (``public_url``). Sending opens
one connection per message: notifications are few, and a failure then concerns one only.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sandbox.clock import utc_now
from sandbox.config import Settings
from sandbox.notifications.model import Language

FOOTER = {
    Language.ZH: (
        "此邮件由数据沙箱平台自动发送，请勿回复。详情请登录平台查看。"
        "可在通知设置中关闭某类通知的邮件。"
    ),
    Language.EN: (
        "This message was sent by the data sandbox platform; please do not reply. Sign in "
        "to see the details. You can turn e-mail off for each kind of notification in your "
        "notification preferences."
    ),
}
PREFIX = {Language.ZH: "[数据沙箱]", Language.EN: "[Data sandbox]"}


def enabled(settings: Settings) -> bool:
    """Whether e-mail is configured at all."""
    return bool(settings.smtp_host)


def compose(
    settings: Settings, *, to: str, language: Language, title: str, body: str
) -> EmailMessage:
    """The e-mail of one notification."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = f"{PREFIX[language]} {title}"
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    lines = [body, ""]
    if settings.public_url:
        lines.append(settings.public_url.rstrip("/") + "/console/inbox")
        lines.append("")
    lines.append(FOOTER[language])
    message.set_content("\n".join(lines))
    # after set_content, which clears every Content-* header
    message["Content-Language"] = "zh-CN" if language is Language.ZH else "en"
    return message


def tls_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the server's certificate and name are always checked,
    against ``smtp_ca_file`` when set (a private CA), else the system's CAs.
    """
    cafile = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    return ssl.create_default_context(cafile=cafile)


def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver ``message`` to the configured server; any failure raises (``OSError`` or
    ``smtplib.SMTPException``), for the delivery loop to retry.
    """
    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if settings.smtp_security == "ssl":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=tls_context(settings)
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        if settings.smtp_security == "starttls":
            client.starttls(context=tls_context(settings))
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        client.send_message(message)
