"""Pooled PostgreSQL connections are pinged only after sitting idle (sandbox.store.db).

A connection the server closed while it sat in the pool is replaced before the caller
sees it fail; one handed straight back out is not pinged (one round trip fewer per
transaction: a job makes some thirty).
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, text

from sandbox.store import db
from sandbox.store.db import make_engine
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_closed_while_idle_is_replaced_before_use(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_server.create_database()
    engine = make_engine(url)
    try:
        first = _backend_pid(engine)
        with psycopg.connect(postgres_server.admin_dsn(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        second = _backend_pid(engine)  # no error: the dead connection was replaced
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_reused_at_once_is_not_pinged(postgres_server: PostgresServer) -> None:
    engine = make_engine(postgres_server.create_database())
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    pings: list[bool] = []
    original = engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        pings.append(True)
        return bool(original(dbapi_connection))

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        for _ in range(5):
            _backend_pid(engine)
        assert pings == []
        assert len(statements) == 5
    finally:
        engine.dispose()
