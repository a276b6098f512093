"""``sandbox audit``: verify and export the audit chain directly on the database.

Working on the database (not through the API) lets an operator check the trail even when
the server is down or no auditor token exists. Every command is audited itself.
``archive``, ``prune`` and ``verify-archive`` move entries past ``audit_retention_days``
into archive files that keep the chain verifiable (:mod:`sandbox.audit.archive`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import note, out

if TYPE_CHECKING:
    from sandbox.platform import Platform

app = typer.Typer(
    help="Verify or export the audit trail on this host's database.", no_args_is_help=True
)


@app.command()
def verify() -> None:
    """Walk the whole hash chain; print OK, or every break and exit 1."""
    from sandbox import audit as trail
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    with local_platform() as platform, transaction(platform.sessions) as session:
        report = trail.verify_chain(session, Actor.system())
    if report.ok:
        out.print(
            f"OK: {report.entries_checked} entries verified, head at "
            f"{report.head_seq}; anchored through {report.anchored_through} by "
            f"{report.checkpoints} signed checkpoints",
            markup=False,
            highlight=False,
        )
        if report.unanchored:
            note(
                f"{report.unanchored} entries after {report.anchored_through} are in no "
                "checkpoint yet: the chain alone vouches for them"
            )
        return
    for problem in report.problems:
        out.print(f"entry {problem.seq}: {problem.problem}", markup=False, highlight=False)
    note(f"BROKEN: {len(report.problems)} problem(s) in {report.entries_checked} entries")
    raise typer.Exit(1)


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="Where to write the JSON lines.", dir_okay=False)],
) -> None:
    """Write the whole log as JSON lines, one entry per line, streamed in sequence order."""
    from sandbox import audit as trail
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    count = 0
    with local_platform() as platform:
        with transaction(platform.sessions) as session:
            trail.record_export(session, Actor.system(), {"file": str(file)})
        with platform.sessions() as session, file.open("w", encoding="utf-8") as sink:
            for entry in trail.iter_entries(session, trail.AuditQuery()):
                sink.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
                count += 1
    note(f"exported {count} entries to {file}")


@app.command()
def checkpoints(
    file: Annotated[Path, typer.Argument(help="Where to write the JSON lines.", dir_okay=False)],
) -> None:
    """Write the signed checkpoints for auditors: the public key, then every checkpoint."""
    from sandbox import audit as trail
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    with local_platform() as platform, transaction(platform.sessions) as session:
        lines = list(trail.export_checkpoints(session, Actor.system(), platform.audit_anchor))
    file.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    note(f"exported the public key and {len(lines) - 1} checkpoints to {file}")


def _moment(text: str) -> datetime:
    """``--before``: a date (midnight UTC) or an ISO 8601 moment (UTC when no offset)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (2021-01-01) or an ISO 8601 moment"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command()
def archive(
    before: Annotated[
        str, typer.Option(help="Archive the oldest entries dated before this date or moment.")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory of the archive (default: audit_archive_dir)."),
    ] = None,
    and_prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Then delete them from the database (outside retention only)."
        ),
    ] = False,
) -> None:
    """Write the oldest entries before --before, with their signed checkpoints, to a JSON-lines
    archive that verifies on its own and against what stays in the chain.
    """
    from sandbox.audit import archive as archives
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    cutoff = _moment(before)
    with local_platform() as platform:
        target = out_dir or platform.settings.resolved_audit_archive_dir()
        with transaction(platform.sessions) as session:
            written = archives.archive(
                session, Actor.system(), platform.audit_anchor, before=cutoff, out_dir=target
            )
        note(
            f"archived entries {written.from_seq}-{written.through_seq} "
            f"({written.entries}) to {written.path} (sha256 {written.sha256})"
        )
        if and_prune:
            _prune(platform, written.path)


@app.command()
def prune(
    file: Annotated[Path, typer.Argument(help="An archive written by 'sandbox audit archive'.")],
) -> None:
    """Delete an archive's entries from the database: only once the archive verifies against
    the live chain and every entry is older than audit_retention_days.
    """
    with local_platform() as platform:
        _prune(platform, file)


def _prune(platform: Platform, file: Path) -> None:
    from sandbox.audit import archive as archives
    from sandbox.identity.model import Actor
    from sandbox.store.db import transaction

    with transaction(platform.sessions) as session:
        check = archives.prune(
            session,
            Actor.system(),
            platform.audit_anchor,
            file,
            retention_days=platform.settings.audit_retention_days,
        )
    note(f"pruned entries {check.from_seq}-{check.through_seq} ({check.entries}) from the chain")


@app.command("verify-archive")
def verify_archive(
    file: Annotated[Path, typer.Argument(help="An archive written by 'sandbox audit archive'.")],
) -> None:
    """Check an archive alone and against the live chain; print OK, or every problem and
    exit 1.
    """
    from sandbox.audit import archive as archives

    with local_platform() as platform, platform.sessions() as session:
        check = archives.verify_archive(session, platform.audit_anchor, file)
    if check.ok:
        where = "pruned from the chain" if check.pruned else "still in the chain"
        out.print(
            f"OK: entries {check.from_seq}-{check.through_seq} ({check.entries}) verify, {where}",
            markup=False,
            highlight=False,
        )
        return
    for problem in check.problems:
        out.print(problem, markup=False, highlight=False)
    note(f"BROKEN: {len(check.problems)} problem(s) in {file}")
    raise typer.Exit(1)
