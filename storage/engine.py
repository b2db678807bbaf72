"""Engines, sessions and migrations for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = [
    "DATABASE_URL_ENV",
    "alembic_config",
    "create_engine",
    "create_sessionmaker",
    "default_database_url",
    "open_database",
    "upgrade_database",
]

DATABASE_URL_ENV = "PINGXING_DATABASE_URL"
DEFAULT_SQLITE_FILE = "pingxing.sqlite3"
# Long enough that 50 concurrent writers queue rather than fail with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def default_database_url() -> str:
    """Returns `PINGXING_DATABASE_URL`, or a SQLite file in the working directory."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite+aiosqlite:///./{DEFAULT_SQLITE_FILE}"


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Sets the pragmas and makes every transaction take the write lock up front.

    pysqlite's own transaction handling starts transactions lazily (a read then a write can fail
    with "database is locked" instead of waiting), so it is switched off and SQLAlchemy's
    `begin` event emits `BEGIN IMMEDIATE` itself, as SQLAlchemy's SQLite documentation shows.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
            "foreign_keys=ON",
            "synchronous=NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """Creates an async engine configured for its database.

    Args:
        url: an SQLAlchemy URL, `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`.
        **options: passed on to `create_async_engine` (tests set `connect_args`, pools).

    Returns:
        The engine; SQLite files are created on first connection.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, **options)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(parsed, pool_pre_ping=True, **options)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Creates the session factory; objects stay readable after commit (the reply needs them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """Returns an Alembic configuration pointing at the migrations inside this package.

    No alembic.ini is needed in the working directory, so an installed package migrates too.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade_database(engine_or_url: AsyncEngine | str, revision: str = "head") -> None:
    """Runs the Alembic migrations up to `revision` (head by default).

    Args:
        engine_or_url: an engine from `create_engine`, or a URL (an engine is made and disposed).
        revision: the target revision.
    """
    if isinstance(engine_or_url, str):
        engine = create_engine(engine_or_url)
        try:
            await upgrade_database(engine, revision)
        finally:
            await engine.dispose()
        return
    async with engine_or_url.begin() as connection:
        await connection.run_sync(_upgrade_on, revision)


async def open_database(
    url: str | None = None,
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """Opens the database the bot runs on, migrating it to head first.

    Args:
        url: the database URL; `default_database_url()` when omitted.

    Returns:
        The engine (dispose it at shutdown) and its session factory.
    """
    engine = create_engine(url or default_database_url())
    try:
        await upgrade_database(engine)
    except BaseException:
        await engine.dispose()
        raise
    return engine, create_sessionmaker(engine)
