"""Engine and session factory for the metadata store (SQLite or PostgreSQL).

On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that two writers never both
read the audit chain's head and then collide; on PostgreSQL the head row is locked with
``SELECT ... FOR UPDATE`` instead (see :mod:`sandbox.audit.chain`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_POOL_TIMEOUT = 120.0
"""Seconds a thread waits for SQLite's one connection (past it: ``TimeoutError``)."""


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``, configured for safe concurrent writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            # One connection per process, handed from thread to thread by the pool's queue.
            # Every transaction takes SQLite's write lock (BEGIN IMMEDIATE), so a second
            # connection could only wait in SQLite's busy handler, which polls with sleeps
            # of up to 100 ms: under 50 concurrent requests the lock then sat idle between
            # sleepers and the server answered about one request a second, its pool
            # exhausted. The queue wakes the next thread the moment a transaction ends.
            # (Other processes, e.g. job workers, still meet at the busy handler.)
            pool_size=1,
            max_overflow=0,
            pool_timeout=SQLITE_POOL_TIMEOUT,
        )
        _use_immediate_transactions(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _use_immediate_transactions(engine: Engine) -> None:
    """Make pysqlite leave transactions to us, then begin each one IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def is_postgres(engine: Engine) -> bool:
    """Whether ``engine`` talks to PostgreSQL (row locks available)."""
    return engine.dialect.name == "postgresql"
