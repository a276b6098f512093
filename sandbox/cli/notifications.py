"""``sandbox notifications``: your inbox and preferences; on the server host, the deadline
sweep and one pass of e-mail delivery.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sandbox.cli._local import local_platform
from sandbox.cli._output import cell, fail, note, out, when
from sandbox.cli._remote import DEFAULT_URL, TokenOption, UrlOption, remote

app = typer.Typer(
    help="Your notifications (inbox, read, preferences); the deadline sweep on the host.",
    no_args_is_help=True,
)

SWITCH = {"on": True, "off": False, "true": True, "false": False}


@app.command("list")
def list_(
    unread: Annotated[bool, typer.Option("--unread", help="Only the unread ones.")] = False,
    kind: Annotated[str | None, typer.Option(help="Only this kind (e.g. decision).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-200).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many (paging).")] = 0,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Your notifications, newest first."""
    with remote(url, token) as client:
        page = client.notifications(unread=unread, kind=kind, offset=offset, limit=limit)
    table = Table(
        "id", "", "kind", "when", "title", title=f"{page['unread']} unread, {page['count']} shown"
    )
    for n in page["data"]:
        table.add_row(
            cell(n["id"]),
            cell("" if n["read_at"] else "●"),
            cell(n["kind"]),
            when(n["created_at"]),
            cell(n["title"]),
        )
    out.print(table)


@app.command()
def read(
    notification_id: Annotated[
        int | None, typer.Argument(help="The notification to mark read.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Mark every unread one read.")] = False,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Mark one notification read (printing it), or all of them with ``--all``."""
    if (notification_id is None) == (not all_):
        fail("name one notification id, or pass --all")
    with remote(url, token) as client:
        if all_:
            done = client.mark_all_notifications_read()
            note(f"{done['marked']} marked read; {done['unread']} unread")
            return
        assert notification_id is not None
        shown = client.mark_notification_read(notification_id)
    out.print(f"[bold]{shown['title']}[/bold]", highlight=False)
    out.print(shown["body"], markup=False, highlight=False)


@app.command()
def preferences(
    language: Annotated[
        str | None, typer.Option(help="Your notification language: zh or en.")
    ] = None,
    email: Annotated[
        list[str] | None,
        typer.Option(help="KIND=on|off, repeatable (e.g. --email decision=off)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    token: TokenOption = None,
) -> None:
    """Show your preferences; with options, change them first."""
    choices: dict[str, bool] = {}
    for item in email or []:
        kind, _, value = item.partition("=")
        if value.lower() not in SWITCH:
            fail(f"--email {item!r}: write KIND=on or KIND=off")
        choices[kind.strip()] = SWITCH[value.lower()]
    with remote(url, token) as client:
        if language is not None or choices:
            found = client.set_notification_preferences(language=language, email=choices)
        else:
            found = client.notification_preferences()
    address = found["email_address"] or "(none: nothing is e-mailed)"
    table = Table("kind", "e-mail", title=f"language {found['language']}; e-mail to {address}")
    for kind, wanted in found["email"].items():
        table.add_row(cell(kind), cell("on" if wanted else "off"))
    out.print(table)


@app.command()
def sweep() -> None:
    """On the server host: notify approaching and passed deadlines and the reports due
    (once each), then send the e-mail that is due.
    """
    from sandbox.notifications.deadlines import sweep_deadlines
    from sandbox.notifications.delivery import deliver_due
    from sandbox.oversight.report_reminders import remind_reports
    from sandbox.store.db import transaction

    with local_platform() as platform:
        with transaction(platform.sessions) as session:
            report = sweep_deadlines(
                session,
                platform.calendar,
                notice_days=platform.settings.deadline_notice_working_days,
                extra=[remind_reports],
            )
        sent = deliver_due(platform.sessions, platform.settings)
    out.print(
        f"deadlines: {report.approaching} approaching, {report.passed} passed, "
        f"{report.grants_ending} grants ending, {report.reminders} report reminders; "
        f"e-mail: {sent.sent} sent, "
        f"{sent.retrying} to retry, {sent.failed} failed, {sent.expired} expired",
        markup=False,
        highlight=False,
    )
