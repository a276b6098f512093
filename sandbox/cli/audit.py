"""``sandbox audit``: verify and export the audit chain directly on the database.

Working on the database (not through the API) lets an operator check the trail even when
the server is down or no auditor token exists. Both commands are audited themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sandbox.cli._local import local_platform
from sandbox.cli._output import note, out

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
