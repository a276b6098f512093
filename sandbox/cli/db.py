"""``sandbox db``: the metadata store's schema, on the server host.

``upgrade`` migrates the database the ``SANDBOX_*`` settings name to the newest schema,
under the migration lock (:mod:`sandbox.store.migrate`): safe to run from a deployment
hook while API servers start, since whoever gets the lock first migrates and the others
find the schema at head. ``current`` says where the schema stands, changing nothing.
"""

from __future__ import annotations

import typer

from sandbox.cli._output import note, out, reported_errors

app = typer.Typer(
    help="The database schema on this host: upgrade it, or show it.", no_args_is_help=True
)


@app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema (once, under a lock)."""
    with reported_errors():
        from sandbox.config import Settings
        from sandbox.store import make_engine
        from sandbox.store.migrate import head_revision, upgrade_to_head

        engine = make_engine(Settings().resolved_database_url())
        try:
            changed = upgrade_to_head(engine)
            head = head_revision(engine)
        finally:
            engine.dispose()
    if changed:
        note(f"schema upgraded to revision {head}")
    else:
        note(f"schema already at revision {head}; nothing to do")


@app.command()
def current() -> None:
    """The schema revision of the database, and the newest this code knows."""
    with reported_errors():
        from sandbox.config import Settings
        from sandbox.store import make_engine
        from sandbox.store.migrate import current_revision, head_revision

        engine = make_engine(Settings().resolved_database_url())
        try:
            with engine.connect() as connection:
                found = current_revision(connection)
            head = head_revision(engine)
        finally:
            engine.dispose()
    out.print(f"current: {found or 'none (empty database)'}")
    out.print(f"head:    {head}")


@app.command("prune-job-logs")
def prune_job_logs() -> None:
    """Empty the log, errors and raw result of jobs finished longer ago than
    job_log_retention_days (their record, hashes and released result stay; audited).
    """
    from sandbox.cli._local import local_platform
    from sandbox.identity.model import Actor
    from sandbox.jobs.retention import prune_job_outputs
    from sandbox.store.db import transaction

    with local_platform() as platform, transaction(platform.sessions) as session:
        days = platform.settings.job_log_retention_days
        pruned = prune_job_outputs(session, Actor.system(), retention_days=days)
    note(f"emptied the outputs of {len(pruned)} jobs finished more than {days} days ago")
