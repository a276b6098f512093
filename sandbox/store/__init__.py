"""Metadata store: SQLAlchemy 2 models, Alembic migrations, engine and sessions."""

from sandbox.store.db import is_postgres, make_engine, make_session_factory, transaction
from sandbox.store.migrate import upgrade_to_head

__all__ = ["is_postgres", "make_engine", "make_session_factory", "transaction", "upgrade_to_head"]
