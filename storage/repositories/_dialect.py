"""The one place that knows `INSERT ... ON CONFLICT` is spelled per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["dialect_name", "insert_for"]


def dialect_name(session: Session) -> str:
    """Returns `sqlite` or `postgresql` for the session's database."""
    return session.get_bind().dialect.name


def insert_for(session: Session, table: Any) -> Any:
    """Returns the dialect's `insert(table)`, which has `on_conflict_do_nothing/update`.

    Both dialects' constructs share that API, so callers write the statement once.
    """
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
