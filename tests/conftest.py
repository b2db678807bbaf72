"""Database fixtures shared by every test package.

`database` yields a migrated `storage.database.Database`, once on SQLite and once on PostgreSQL.
Migrations run once per test session (SQLite: into a template file each test copies; PostgreSQL:
into a schema private to this pytest process, emptied before each test), so a test costs a file
copy or one TRUNCATE, not a migration.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from storage.database import Database, create_database, upgrade_database
from storage.models import Base

POSTGRES_URL_ENV = "PINGXING_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


class PostgresSchema(NamedTuple):
    """The server URL and the schema this pytest process owns on it."""

    url: str
    schema: str


def postgres_database(target: PostgresSchema) -> Database:
    """Creates a database whose connections see only `target.schema`."""
    return create_database(
        target.url, connect_args={"server_settings": {"search_path": target.schema}}
    )


def run_in_own_loop(awaitable_factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs a coroutine to completion on a fresh loop in a worker thread.

    Session fixtures are first requested from inside a test's running loop (through
    `getfixturevalue`), where `asyncio.run` is not allowed.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(lambda: asyncio.run(awaitable_factory())).result()


async def _run_admin_sql(url: str, statement: str) -> None:
    database = create_database(url)
    try:
        await database.run(lambda session: session.execute(text(statement)))
    finally:
        await database.dispose()


async def _migrate_postgres(target: PostgresSchema) -> None:
    database = postgres_database(target)
    try:
        await database.upgrade()
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied by each test that needs a database."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    run_in_own_loop(lambda: upgrade_database(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[PostgresSchema]:
    """A fresh migrated schema on the test server, dropped at the end of the session."""
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests skipped: set {POSTGRES_URL_ENV} to run them")
    # Other engineers' test runs share the server: a random schema name keeps runs apart.
    target = PostgresSchema(url, f"pingxing_test_{uuid.uuid4().hex[:12]}")
    run_in_own_loop(lambda: _run_admin_sql(url, f'CREATE SCHEMA "{target.schema}"'))
    try:
        run_in_own_loop(lambda: _migrate_postgres(target))
        yield target
    finally:
        run_in_own_loop(lambda: _run_admin_sql(url, f'DROP SCHEMA "{target.schema}" CASCADE'))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The URL of a migrated SQLite file private to this test."""
    path = tmp_path / "pingxing.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def _empty_tables(session: Session) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend; PostgreSQL skips when no URL is given."""
    if request.param == "sqlite":
        database = create_database(request.getfixturevalue("sqlite_url"))
    else:
        database = postgres_database(request.getfixturevalue("postgres_schema"))
        await database.run(_empty_tables)
    try:
        yield database
    finally:
        await database.dispose()
