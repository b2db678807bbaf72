"""Is the database reachable and at the newest migration? For `/healthz` and `pingxing doctor`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from storage.database import Database
from storage.repositories.operations import migration_heads

__all__ = ["DatabaseHealth", "check_database"]


@dataclass(frozen=True)
class DatabaseHealth:
    """What one look at the database found.

    Attributes:
        reachable: a transaction could be opened and read.
        current: the migration revisions the database is at.
        heads: the revisions this version of pingxing migrates to.
        error: why it was unreachable (the error's class and first line), else None.
    """

    reachable: bool
    current: frozenset[str] = frozenset()
    heads: frozenset[str] = frozenset()
    error: str | None = None

    @property
    def migrated(self) -> bool:
        """Whether the schema is exactly at this version's heads."""
        return self.reachable and self.current == self.heads

    @property
    def healthy(self) -> bool:
        """Reachable and migrated."""
        return self.migrated

    def as_json(self) -> dict[str, Any]:
        """The `/healthz` body; the error's text stays in the log, not in a public answer."""
        migrations = None
        if self.reachable:
            migrations = "current" if self.migrated else "not current"
        return {
            "status": "ok" if self.healthy else "unavailable",
            "database": "reachable" if self.reachable else "unreachable",
            "migrations": migrations,
            "revision": sorted(self.current),
            "expected": sorted(self.heads),
        }


async def check_database(database: Database) -> DatabaseHealth:
    """Reads the migration state in one transaction; never raises for a database failure."""
    try:
        current, heads = await database.run(migration_heads)
    except (SQLAlchemyError, OSError) as error:
        first_line = str(error).splitlines()[0][:200] if str(error) else ""
        return DatabaseHealth(False, error=f"{type(error).__name__}: {first_line}")
    return DatabaseHealth(True, current, heads)
