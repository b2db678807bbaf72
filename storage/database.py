"""The database the bot runs on: `Database.run(work)` runs one unit of work in one transaction.

A unit of work is a plain synchronous function taking an ORM `Session`; the repositories are
synchronous functions of a session too. `run` begins a transaction, calls the function, commits
(or rolls back and re-raises) and returns what the function returned.

PostgreSQL, the production database, runs it on SQLAlchemy's async engine (asyncpg): an
`AsyncSession` transaction and `run_sync`, SQLAlchemy's documented way to run synchronous ORM
code over an async driver.

SQLite runs the same function on a synchronous pysqlite engine in one dedicated worker thread,
started with `loop.run_in_executor`: a whole unit of work is exactly one thread hop. Measured on
the answer path (`python -m benchmarks answer_path`, 2 shared cores; ratios, since the machine's
load moves absolute figures): through the async ORM on aiosqlite a button press was eight
statements, each costing several hand-offs to aiosqlite's thread (28 a press) plus the async
ORM's per-statement machinery on the event loop, about 1 ms a statement: 10.1 ms a press alone,
64 presses/s with 50 users at once (7% of bare PTB). As one synchronous unit of work in one hop
(seven statements, the hot ones built once at import) a press takes about 5 ms alone and
190-240 presses/s with 50 users (roughly 3.5 times as many; 20-30% of bare PTB). The single
thread is also the queue for this process's writers: they reach SQLite one at a time, in order,
and never sleep in its busy handler; `BEGIN IMMEDIATE` and the busy timeout still serialise
writers of other processes on the same file. What remains is CPU, not waiting: SQLite releases
the GIL only while it runs a statement, and the Python around each statement (SQLAlchemy Core,
the flow's checks) holds it, so running the unit inline on the event loop measured the same.

Each call into SQLite (a statement, a fetched row, the commit) releases the GIL and is then a
hand-off: the thread waits for the event loop, busy with other users' presses, to offer the GIL
back, every 5 ms by default. With 50 users at once `BEGIN IMMEDIATE` took 1,873 us of wall time
in the thread against 86 us alone. Three answers were measured side by side in one process
(`python -m benchmarks answer_path`'s workloads; a shared machine, so ranges of repeated runs):
the thread with Python's 5 ms switch interval, 144-200 presses/s with 50 users and 126-154
alone; the thread with a 0.5 ms interval, 157-245 and 130-278; inline on the event loop (no
thread, no hand-offs), 128-206 and 140-185. Inline loses the overlap of SQLite's own work (GIL
released) with the loop's Python and gained nothing measurable, and it would stop the whole bot,
for up to the busy timeout, whenever another process (the admin CLI) holds the write lock. So
the thread stays, and `bot.app.prepare_application` sets a 0.5 ms switch interval for the
process: a unit of work's median wall time in the thread with 50 users went from 5.1 ms (2.6 ms
of its CPU) to 2.6 ms (2.55 ms CPU), the convoy gone; alone it measured 2.1-2.6 ms either way
(the lead's quiet run: 22% of bare PTB with 50 users at once went to 36%). The answer path also
makes fewer calls: the marks come with the standing's statement, as one row of answers and one
of evidence counts (`storage.repositories.marks`): a press is six statements, and its reads
fetch three rows where they fetched one, then one per answer and per item with evidence.
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
    raise ValueError(f"unsupported database URL {url!r}: use SQLite or PostgreSQL")


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
