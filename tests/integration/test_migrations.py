"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from sandbox.audit.chain import GENESIS_HASH
from sandbox.store import make_engine, upgrade_to_head
from sandbox.store.migrate import alembic_config
from sandbox.store.models import Base


def test_upgrade_to_head_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        upgrade_to_head(engine)
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head
            tables = set(inspect(conn).get_table_names())
            assert set(Base.metadata.tables) <= tables
            # The genesis head row is written once, not once per upgrade.
            rows = conn.execute(text("SELECT id, seq, hash FROM audit_head")).all()
            assert [tuple(r) for r in rows] == [(1, 0, GENESIS_HASH)]
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0
    finally:
        engine.dispose()


def test_migrations_match_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_to_head(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations disagree; add a migration: {diff}"
    finally:
        engine.dispose()
