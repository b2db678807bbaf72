"""Engines and migrations for SQLite (the default) and PostgreSQL.

`storage.database.Database` is what the rest of the code uses; this module builds the engines
it runs on and knows how to migrate a live connection.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "DATABASE_URL_ENV",
    "SQLITE_BUSY_TIMEOUT_MS",
    "alembic_config",
    "create_postgres_engine",
    "create_sqlite_engine",
    "default_database_url",
    "is_sqlite",
    "migrate",
]

DATABASE_URL_ENV = "PINGXING_DATABASE_URL"
DEFAULT_SQLITE_FILE = "pingxing.sqlite3"
# Long enough that writers of other processes on the same file queue rather than fail with
# "database is locked" (this process's writers already queue on one thread).
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The database holds names, scores and the secretaries' Telegram ids: the owner's alone.
PRIVATE_FILE_MODE = 0o600
_SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "foreign_keys=ON",
    "synchronous=NORMAL",
)


def default_database_url() -> str:
    """Returns `PINGXING_DATABASE_URL`, or a SQLite file in the working directory."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///./{DEFAULT_SQLITE_FILE}"


def is_sqlite(url: str | URL) -> bool:
    """Says whether the URL names a SQLite database (whatever its driver)."""
    return make_url(url).get_backend_name() == "sqlite"


def create_sqlite_engine(url: str | URL, **options: Any) -> Engine:
    """Creates a synchronous pysqlite engine on the file `url` names, configured for pingxing.

    `sqlite:///path` is the documented form; `sqlite+aiosqlite:///path` names the same file
    (only the driver part differs, and pysqlite is always used). A new file is created readable
    by its owner only, before SQLite opens it: SQLite gives its `-wal` and `-shm` files the
    database file's permissions, so they are private too.

    Every connection gets WAL, the busy timeout, foreign keys and `synchronous=NORMAL`, and
    every transaction takes the write lock up front with `BEGIN IMMEDIATE`: pysqlite's own
    transaction handling starts transactions lazily (a read then a write can fail with
    "database is locked" instead of waiting), so it is switched off and SQLAlchemy's `begin`
    event emits the BEGIN itself, as SQLAlchemy's SQLite documentation shows.

    Args:
        url: an SQLAlchemy SQLite URL.
        **options: passed on to `sqlalchemy.create_engine`.
    """
    sqlite_url = make_url(url).set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(sqlite_url, **options)

    @event.listens_for(engine, "do_connect")
    def before_connect(*_arguments: Any) -> None:
        _create_private_file(sqlite_url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_private_file(database: str | None) -> None:
    """Creates the SQLite file with mode 0600 when it does not exist yet (a file, not memory)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))


def create_postgres_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """Creates the asyncpg engine; `pool_pre_ping` replaces connections the server dropped.

    Args:
        url: a `postgresql+asyncpg://` URL.
        **options: passed on to `create_async_engine` (tests set `connect_args`).
    """
    return create_async_engine(make_url(url), pool_pre_ping=True, **options)


def alembic_config() -> Config:
    """Returns an Alembic configuration pointing at the migrations inside this package.

    No alembic.ini is needed in the working directory, so an installed package migrates too.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(connection: Connection, revision: str = "head") -> None:
    """Runs the Alembic migrations up to `revision` on a live connection (its transaction)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
