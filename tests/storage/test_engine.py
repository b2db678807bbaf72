"""The database, migrations and the column types, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from storage.database import create_database, open_database, upgrade_database
from storage.engine import alembic_config, default_database_url
from storage.models import Base, Delivery, DeliveryKind, ProcessedUpdate, ReviewScore
from storage.repositories import get_or_create_person, owe_delivery
from tests.storage.seed import NOW, seed_assessment

SHANGHAI = timezone(timedelta(hours=8))
# The newest migration, which a migrated database records as its version.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _drift(metadata: MetaData):  # type: ignore[no-untyped-def]
    def compare(session: Session):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(session.connection(), opts={"compare_type": True})
        return compare_metadata(context, metadata)

    return compare


async def test_models_and_migrations_do_not_drift(database) -> None:
    differences = await database.run(_drift(Base.metadata))
    assert differences == []


async def test_drift_check_notices_a_table_the_migrations_lack(database) -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("not_migrated", metadata, Column("id", Integer, primary_key=True))
    differences = await database.run(_drift(metadata))
    assert [difference[0] for difference in differences] == ["add_table"]


async def test_first_use_creates_and_migrates_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "fresh.sqlite3"
    path.parent.mkdir()
    database = await open_database(f"sqlite+aiosqlite:///{path}")
    try:
        person = await database.run(lambda session: get_or_create_person(session, 42, "书记"))
        versions = await database.run(
            lambda session: session.scalars(text("SELECT version_num FROM alembic_version")).all()
        )
    finally:
        await database.dispose()
    assert (path.exists(), person.telegram_id, versions) == (True, 42, [HEAD])


async def test_upgrading_twice_leaves_one_head_revision_and_no_drift(sqlite_url: str) -> None:
    await upgrade_database(sqlite_url)
    await upgrade_database(sqlite_url)
    database = create_database(sqlite_url)
    try:
        versions = await database.run(
            lambda session: session.scalars(text("SELECT version_num FROM alembic_version")).all()
        )
        differences = await database.run(_drift(Base.metadata))
    finally:
        await database.dispose()
    assert (versions, differences) == ([HEAD], [])


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("sqlite+aiosqlite:///{folder}/a.sqlite3", "sqlite"),
        ("sqlite:///{folder}/b.sqlite3", "sqlite"),
        ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "postgresql"),
    ],
)
async def test_a_database_knows_its_url_and_dialect(tmp_path: Path, url, dialect) -> None:
    given = url.format(folder=tmp_path)
    database = create_database(given)
    try:
        assert (database.url, database.dialect) == (given, dialect)
    finally:
        await database.dispose()


def test_a_database_other_than_sqlite_or_postgresql_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        create_database("mysql://localhost/pingxing")


async def test_a_unit_of_work_commits_and_returns_its_result(database) -> None:
    def add(session: Session) -> int:
        session.add(ProcessedUpdate(update_id=7, processed_at=NOW))
        return 7

    added = await database.run(add)
    stored = await database.run(
        lambda session: session.scalars(select(ProcessedUpdate.update_id)).all()
    )
    assert (added, stored) == (7, [7])


async def test_a_unit_of_work_that_raises_writes_nothing_and_raises_again(database) -> None:
    def add_then_fail(session: Session) -> None:
        session.add(ProcessedUpdate(update_id=8, processed_at=NOW))
        session.flush()
        raise LookupError("after the flush")

    with pytest.raises(LookupError, match="after the flush"):
        await database.run(add_then_fail)
    count = await database.run(
        lambda session: session.scalar(select(func.count()).select_from(ProcessedUpdate))
    )
    assert count == 0


async def test_sqlite_runs_every_unit_of_work_on_one_thread_off_the_event_loop(
    sqlite_url: str,
) -> None:
    database = create_database(sqlite_url)
    try:
        threads = await asyncio.gather(
            *(database.run(lambda _session: threading.get_ident()) for _ in range(20))
        )
    finally:
        await database.dispose()
    assert (len(set(threads)), threads[0] != threading.get_ident()) == (1, True)


def test_default_database_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGXING_DATABASE_URL", "postgresql+asyncpg://db/pingxing")
    assert default_database_url() == "postgresql+asyncpg://db/pingxing"


def test_default_database_url_is_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PINGXING_DATABASE_URL", raising=False)
    assert default_database_url() == "sqlite:///./pingxing.sqlite3"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), "2026-12-31T15:59:59+00:00"),
        (datetime(2027, 1, 1, 0, 0, 0, 123456, tzinfo=UTC), "2027-01-01T00:00:00.123456+00:00"),
        (
            datetime(2026, 6, 30, 16, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-06-30T21:00:00+00:00",
        ),
    ],
)
async def test_times_round_trip_as_the_same_aware_utc_instant(database, written, expected) -> None:
    def first_transaction(session: Session) -> Any:
        session.add(ProcessedUpdate(update_id=1, processed_at=written))

    await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        read = session.scalar(select(ProcessedUpdate.processed_at))
        return read

    read = await database.run(second_transaction)
    assert (read.isoformat(), read.tzinfo) == (expected, UTC)


async def test_naive_datetimes_are_refused(database) -> None:
    def add_naive(session: Session) -> None:
        session.add(ProcessedUpdate(update_id=1, processed_at=datetime(2026, 1, 1)))

    with pytest.raises(StatementError, match="naive datetime"):
        await database.run(add_naive)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (Decimal("66.67"), "66.67"),
        (Decimal("89.99999999999999"), "89.99999999999999"),
        (Decimal("0.1"), "0.1"),
        (Decimal("100"), "100"),
        (Decimal(0), "0"),
    ],
)
async def test_decimals_round_trip_exactly(database, score, expected) -> None:
    def first_transaction(session: Session) -> Any:
        assessment = seed_assessment(session)
        session.add(ReviewScore(assessment_id=assessment.id, score=score, entered_at=NOW))

    await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        read = session.scalar(select(ReviewScore.score))
        return read

    read = await database.run(second_transaction)
    assert (str(read), type(read)) == (expected, Decimal)


async def test_fifty_concurrent_writers_on_sqlite_lose_no_update(sqlite_url: str) -> None:
    # Two databases on one file stand for two processes: each has its own thread and
    # connection, so their transactions meet in SQLite's file lock, where BEGIN IMMEDIATE and
    # the busy timeout make them wait; within one database, writers queue on its thread.
    databases = [create_database(sqlite_url), create_database(sqlite_url)]
    await databases[0].run(
        lambda session: owe_delivery(session, DeliveryKind.REMINDER, 1, "counter", {}, NOW)
    )

    def increment(update_id: int) -> Any:
        def work(session: Session) -> None:
            # Read, then write from what was read: with a lazily taken write lock this either
            # fails with "database is locked" or loses updates.
            delivery = session.scalar(select(Delivery))
            assert delivery is not None
            # Hold the transaction a moment, so the other database's writer has to wait.
            time.sleep(0.002)
            delivery.attempts += 1
            session.add(ProcessedUpdate(update_id=update_id, processed_at=NOW))

        return work

    try:
        await asyncio.gather(
            *(databases[update_id % 2].run(increment(update_id)) for update_id in range(50))
        )
        attempts, stored = await databases[1].run(
            lambda session: (
                session.scalar(select(Delivery.attempts)),
                session.scalars(select(ProcessedUpdate.update_id)).all(),
            )
        )
    finally:
        for database in databases:
            await database.dispose()
    assert (attempts, sorted(stored)) == (50, list(range(50)))
