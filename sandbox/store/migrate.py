"""Apply the Alembic migrations to a database; the only way the schema is created.

Several processes may start at once on one database (API servers behind a load balancer,
``sandbox db upgrade`` in a deployment hook): the upgrade runs once, under a lock, and the
others find the schema at head when they get the lock.

- PostgreSQL: a session-level advisory lock (:data:`MIGRATION_LOCK_KEY`) is held on the
  migrating connection around Alembic's whole upgrade, its version read included.
- SQLite: no extra lock is needed. Every transaction of :func:`sandbox.store.make_engine`
  begins ``IMMEDIATE``, so the upgrade (one transaction, from reading the version table to
  the last DDL) holds the database's write lock, and a second upgrader waits for it (busy
  timeout) and then reads the new head.

Ray workers never migrate: they open the store with :func:`ensure_at_head`, which only reads
the version (:meth:`sandbox.platform.Platform.open` with ``migrate=False``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from sandbox.errors import SchemaOutOfDate

__all__ = [
    "MIGRATION_LOCK_KEY",
    "alembic_config",
    "current_revision",
    "ensure_at_head",
    "head_revision",
    "upgrade_to_head",
]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

MIGRATION_LOCK_KEY = 0x5A4E_DB01
"""The PostgreSQL advisory lock key every migrating process takes (one per database)."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at our scripts, bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision(engine: Engine) -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (``None`` when empty)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> bool:
    """Bring the schema up to the newest migration, under the migration lock; return
    whether this call changed it (``False``: another process had, or it was at head).
    """
    config = alembic_config(engine)
    head = head_revision(engine)
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()  # the lock is the session's: it outlives this transaction
        try:
            before = current_revision(connection)
            if before != head:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            connection.commit()
        finally:
            if postgres:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
    if before == head:
        return False
    log.info("database schema upgraded from %s to %s", before or "empty", head)
    return True


def ensure_at_head(engine: Engine) -> None:
    """Check, without migrating, that the schema is the one this code expects.

    Raises:
        SchemaOutOfDate: The database is empty or at another revision (an API server or
            ``sandbox db upgrade`` migrates it; a Ray worker never does).
    """
    with engine.connect() as connection:
        found = current_revision(connection)
    head = head_revision(engine)
    if found != head:
        raise SchemaOutOfDate(
            f"the database schema is at revision {found or 'none'}, this code expects "
            f"{head}: run `sandbox db upgrade` (or start an API server) first"
        )
