"""Persistence: SQLAlchemy models, engines, Alembic migrations and repositories.

Repositories take an `AsyncSession` and never commit: the caller owns the transaction
(`async with sessions.begin() as session: ...`).
"""

from storage.engine import (
    create_engine,
    create_sessionmaker,
    default_database_url,
    open_database,
    upgrade_database,
)

__all__ = [
    "create_engine",
    "create_sessionmaker",
    "default_database_url",
    "open_database",
    "upgrade_database",
]
