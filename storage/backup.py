"""SQLite backup and restore through SQLite's online backup API.

The backup API copies a database page by page under SQLite's own locking; done in one step it
is a consistent snapshot even while the bot writes (in WAL mode readers never block the
writer, and the copy is one read transaction). Restoring uses the same API the other way, so
the live file, its WAL and every open connection see the restored content as one write.

PostgreSQL has its own tools (`pg_dump`, `pg_restore`); see docs/deploy.md.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.engine import is_sqlite

__all__ = ["BackupError", "backup_sqlite", "check_backup", "restore_sqlite", "sqlite_path"]

# Whole database in one step: a snapshot of one instant, not a copy that chases the writer.
_ALL_PAGES = -1


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def sqlite_path(url: str) -> Path:
    """The file a SQLite URL names.

    Raises:
        BackupError: the URL is not SQLite, or names an in-memory database.
    """
    if not is_sqlite(url):
        raise BackupError(
            "this database is not SQLite: back PostgreSQL up with pg_dump "
            "(see docs/deploy.md, 'Backups')"
        )
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def backup_sqlite(source: Path, target: Path) -> None:
    """Copies the live database `source` into the new file `target`.

    Raises:
        BackupError: `source` is missing, or `target` already exists (never overwritten).
    """
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    # Opened read-only through a URI, so a backup never creates or changes the source.
    with (
        closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy, pages=_ALL_PAGES)
    target.chmod(0o600)


def restore_sqlite(backup: Path, target: Path) -> str:
    """Replaces the content of `target` with the pingxing database in `backup`.

    Returns:
        The migration revision the restored database is at.

    Raises:
        BackupError: `backup` is missing, not a SQLite file, damaged, or not pingxing's.
    """
    with _open_backup(backup) as saved:
        revision = _pingxing_revision(saved, backup)
        with closing(sqlite3.connect(target)) as live:
            saved.backup(live, pages=_ALL_PAGES)
    return revision


def check_backup(backup: Path) -> str:
    """The migration revision of the pingxing database in `backup`, read without changing it.

    Raises:
        BackupError: as `restore_sqlite` would, before anything is replaced.
    """
    with _open_backup(backup) as saved:
        return _pingxing_revision(saved, backup)


def _open_backup(backup: Path) -> closing[sqlite3.Connection]:
    """A read-only connection to the backup file; BackupError when there is none."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    return closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True))


def _pingxing_revision(connection: sqlite3.Connection, path: Path) -> str:
    """The backup's migration revision, after SQLite's own integrity check."""
    try:
        (integrity,) = connection.execute("PRAGMA quick_check").fetchone()
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a pingxing SQLite backup ({error})") from None
    if integrity != "ok":
        raise BackupError(f"{path} is damaged: SQLite's check says {integrity!r}")
    if row is None:
        raise BackupError(f"{path} holds no migration revision: not a pingxing backup")
    return str(row[0])
