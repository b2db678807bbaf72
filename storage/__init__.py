"""Persistence: SQLAlchemy models, the database, Alembic migrations and repositories.

Repositories are synchronous functions taking a `Session` and never commit: the caller owns the
transaction, one unit of work run by `Database.run` (see `storage.database`).
"""

from storage.database import Database, create_database, open_database, upgrade_database
from storage.engine import default_database_url

__all__ = [
    "Database",
    "create_database",
    "default_database_url",
    "open_database",
    "upgrade_database",
]
