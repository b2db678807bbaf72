"""Alembic environment: runs on the connection `storage.engine.upgrade_database` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.models import Base

target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    """Migrates on a live connection; `render_as_batch` lets SQLite alter tables later."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `pingxing db upgrade` (storage.engine.upgrade_database), "
        "which hands Alembic a connection"
    )
run_migrations(connection)
