"""Where the two dialects differ (`INSERT ... ON CONFLICT`), and statements built once.

The statements every button press runs (see `storage.repositories.standing`, `marks`,
`assessments`, `updates`) are module constants with bound parameters, run on the session:
building a statement and its cache key costs several times what SQLite takes to run it, and a
press runs six of them. `BENCHMARKS.md` has the figures. Those constants are Core statements on
the tables (`table_of`), since the ORM's bulk INSERT/UPDATE machinery costs as much again; an
upsert exists once per dialect (`per_dialect`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base

__all__ = ["dialect_name", "insert_for", "per_dialect", "table_of"]

T = TypeVar("T")


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


def per_dialect(build: Callable[[Callable[[Table], Any]], T]) -> dict[str, T]:
    """Builds a statement once for each dialect, handing `build` that dialect's `insert`."""
    return {"sqlite": build(sqlite.insert), "postgresql": build(postgresql.insert)}


def table_of(model: type[Base]) -> Table:
    """The Core table of a model (typed as a `Table`, which `__table__` is not)."""
    return Base.metadata.tables[model.__tablename__]
