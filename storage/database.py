"""The database the bot runs on: `Database.run(work)` runs one unit of work in one transaction.

A unit of work is a plain synchronous function taking an ORM `Session`; the repositories are
synchronous functions of a session too. `run` begins a transaction, calls the function, commits
(or rolls back and re-raises) and returns what the function returned.

PostgreSQL, the production database, runs it on SQLAlchemy's async engine (asyncpg): an
`AsyncSession` transaction and `run_sync`, SQLAlchemy's documented way to run synchronous ORM
code over an async driver.

SQLite runs the same function on a synchronous pysqlite engine in one dedicated worker thread:
a whole unit of work is one hand-off to that thread, instead of several per statement through
an async driver. The thread is also the queue for this process's writers: they reach SQLite one
at a time, in order, and never sleep in its busy handler, while `BEGIN IMMEDIATE` and the busy
timeout serialise writers of other processes on the same file (the admin command line). Running
the unit of work on the event loop instead would stop every user's updates for as long as
another process holds the write lock. `BENCHMARKS.md` has what a button press costs this way.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, sessionmaker

from storage.engine import (
    create_postgres_engine,
    create_sqlite_engine,
    default_database_url,
    is_sqlite,
    migrate,
)

__all__ = ["Database", "create_database", "open_database", "upgrade_database"]

T = TypeVar("T")


class Database(ABC):
    """An open database: `run` units of work on it, `dispose` of it at shutdown.

    Attributes:
        url: the URL it was opened with.
        dialect: `sqlite` or `postgresql`.
    """

    url: str
    dialect: str

    @abstractmethod
    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work` in one transaction and commits; rolls back and re-raises if it raises.

        Args:
            work: a synchronous function of the transaction's session. Objects it returns stay
                readable after the commit (nothing is expired), but lazy loads need a session.

        Returns:
            What `work` returned.
        """

    @abstractmethod
    async def upgrade(self, revision: str = "head") -> None:
        """Runs the Alembic migrations up to `revision` (head by default)."""

    @abstractmethod
    async def dispose(self) -> None:
        """Closes every connection; the database cannot run work afterwards."""

    @property
    @abstractmethod
    def sync_engine(self) -> Engine:
        """The synchronous engine underneath, for event listeners (statement counting)."""


class SqliteDatabase(Database):
    """A SQLite file run on a sync engine in one worker thread (see the module docstring)."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.dialect = "sqlite"
        self._engine = create_sqlite_engine(url, **options)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingxing-sqlite")

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work` in one transaction on the database's thread (one thread hop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._unit, work)

    def _unit(self, work: Callable[[Session], T]) -> T:
        with self._sessions.begin() as session:
            return work(session)

    async def upgrade(self, revision: str = "head") -> None:
        """Migrates on the database's thread, in one transaction."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._migrate, revision)

    def _migrate(self, revision: str) -> None:
        with self._engine.begin() as connection:
            migrate(connection, revision)

    async def dispose(self) -> None:
        """Closes the connections on their own thread, then stops the thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=True)

    @property
    def sync_engine(self) -> Engine:
        """The pysqlite engine."""
        return self._engine


class PostgresDatabase(Database):
    """PostgreSQL on the async engine: each unit of work runs through `AsyncSession.run_sync`."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.dialect = "postgresql"
        self._engine = create_postgres_engine(url, **options)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work` in one transaction of an `AsyncSession`, through `run_sync`."""
        session: AsyncSession
        async with self._sessions.begin() as session:
            return await session.run_sync(work)

    async def upgrade(self, revision: str = "head") -> None:
        """Migrates in one transaction."""
        async with self._engine.begin() as connection:
            await connection.run_sync(migrate, revision)

    async def dispose(self) -> None:
        """Closes the pool's connections."""
        await self._engine.dispose()

    @property
    def async_engine(self) -> AsyncEngine:
        """The asyncpg engine."""
        return self._engine

    @property
    def sync_engine(self) -> Engine:
        """The engine's synchronous proxy, where events are registered."""
        return self._engine.sync_engine


def create_database(url: str | None = None, **options: Any) -> Database:
    """Creates the database object for `url` without touching the database yet.

    Args:
        url: an SQLAlchemy URL, `sqlite:///path` (any SQLite driver names the same
            file) or `postgresql+asyncpg://...`; `default_database_url()` when omitted.
        **options: passed on to the engine (tests set `connect_args`).

    Raises:
        ValueError: the URL names a database other than SQLite or PostgreSQL.
    """
    url = url or default_database_url()
    if is_sqlite(url):
        return SqliteDatabase(url, **options)
    if make_url(url).get_backend_name() == "postgresql":
        return PostgresDatabase(url, **options)
    shown = make_url(url).render_as_string(hide_password=True)
    raise ValueError(f"unsupported database URL {shown!r}: use SQLite or PostgreSQL")


async def open_database(url: str | None = None, **options: Any) -> Database:
    """Opens the database the bot runs on, migrating it to head first.

    The SQLite file is created on first use. Dispose of the result at shutdown.
    """
    database = create_database(url, **options)
    try:
        await database.upgrade()
    except BaseException:
        await database.dispose()
        raise
    return database


async def upgrade_database(url: str | None = None, revision: str = "head") -> None:
    """Migrates the database at `url` to `revision` and closes it again."""
    database = create_database(url)
    try:
        await database.upgrade(revision)
    finally:
        await database.dispose()
