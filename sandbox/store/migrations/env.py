"""Alembic environment: runs migrations on the connection the platform hands it."""

from alembic import context

from sandbox.store.models import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("sandbox migrations run through sandbox.store.migrate, not bare alembic")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
