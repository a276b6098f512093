"""Engine and session factory for the metadata store (SQLite or PostgreSQL).

On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that two writers never both
read the audit chain's head and then collide; on PostgreSQL the head row is locked with
``SELECT ... FOR UPDATE`` instead (see :mod:`sandbox.audit.chain`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_POOL_TIMEOUT = 120.0
"""Seconds a thread waits for SQLite's one connection (past it: ``TimeoutError``)."""

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is handed out."""


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
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle for a while.

    ``pool_pre_ping`` pings at every checkout: a job made some thirty short transactions,
    each paying one more round trip to the server. A connection checked in less than
    :data:`PING_AFTER_IDLE_SECONDS` ago was working a moment before; one idle longer may
    have been closed by a server restart or a network timeout, and is replaced before the
    caller sees it fail (SQLAlchemy's documented pessimistic handling: raising
    ``DisconnectionError`` at checkout makes the pool retry with a new connection). A
    connection lost within that second fails its statement once, and SQLAlchemy then
    invalidates the pool.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("an idle pooled connection no longer answers") from exc


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
