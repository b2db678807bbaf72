"""Engines, migrations and the column types, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.exc import StatementError

from storage.engine import (
    create_engine,
    create_sessionmaker,
    default_database_url,
    open_database,
    upgrade_database,
)
from storage.models import Base, Delivery, DeliveryKind, ProcessedUpdate, ReviewScore
from storage.repositories import get_or_create_person, owe_delivery
from tests.storage.seed import NOW, seed_assessment

SHANGHAI = timezone(timedelta(hours=8))


def _drift(metadata: MetaData):  # type: ignore[no-untyped-def]
    def compare(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    return compare


async def test_models_and_migrations_do_not_drift(database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_drift(Base.metadata))
    assert differences == []


async def test_drift_check_notices_a_table_the_migrations_lack(database) -> None:
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("not_migrated", metadata, Column("id", Integer, primary_key=True))
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_drift(metadata))
    assert [difference[0] for difference in differences] == ["add_table"]


async def test_first_use_creates_and_migrates_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "fresh.sqlite3"
    path.parent.mkdir()
    engine, sessions = await open_database(f"sqlite+aiosqlite:///{path}")
    try:
        async with sessions.begin() as session:
            person = await get_or_create_person(session, 42, "书记")
        async with engine.connect() as connection:
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            versions = version.scalars().all()
    finally:
        await engine.dispose()
    assert (path.exists(), person.telegram_id, len(versions)) == (True, 42, 1)


async def test_upgrading_twice_changes_nothing(sqlite_url: str) -> None:
    await upgrade_database(sqlite_url)
    await upgrade_database(sqlite_url)


def test_default_database_url_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGXING_DATABASE_URL", "postgresql+asyncpg://db/pingxing")
    assert default_database_url() == "postgresql+asyncpg://db/pingxing"


def test_default_database_url_is_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PINGXING_DATABASE_URL", raising=False)
    assert default_database_url() == "sqlite+aiosqlite:///./pingxing.sqlite3"


@pytest.mark.parametrize(
    "written",
    [
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 6, 30, 16, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
async def test_times_round_trip_as_the_same_aware_utc_instant(database, written) -> None:
    async with database.sessions.begin() as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=written))
    async with database.sessions() as session:
        read = await session.scalar(select(ProcessedUpdate.processed_at))
    assert (read, read.tzinfo, read.utcoffset()) == (written, UTC, timedelta(0))


async def test_naive_datetimes_are_refused(database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with database.sessions.begin() as session:
            session.add(ProcessedUpdate(update_id=1, processed_at=datetime(2026, 1, 1)))


@pytest.mark.parametrize(
    "score",
    [Decimal("66.67"), Decimal("89.99999999999999"), Decimal("0.1"), Decimal("100"), Decimal(0)],
)
async def test_decimals_round_trip_exactly(database, score) -> None:
    async with database.sessions.begin() as session:
        assessment = await seed_assessment(session)
        session.add(ReviewScore(assessment_id=assessment.id, score=score, entered_at=NOW))
    async with database.sessions() as session:
        read = await session.scalar(select(ReviewScore.score))
    assert (read, type(read)) == (score, Decimal)


async def test_fifty_concurrent_writers_on_sqlite_lose_no_update(sqlite_url: str) -> None:
    # Fifty real connections, not a queue in front of a small pool.
    engine = create_engine(sqlite_url, pool_size=50, max_overflow=0)
    sessions = create_sessionmaker(engine)
    async with sessions.begin() as session:
        await owe_delivery(session, DeliveryKind.REMINDER, 1, "counter", {}, NOW)

    async def increment(update_id: int) -> None:
        # Read, then write from what was read: with a lazily taken write lock this either
        # fails with "database is locked" or loses updates; BEGIN IMMEDIATE makes writers wait.
        async with sessions.begin() as session:
            delivery = await session.scalar(select(Delivery))
            assert delivery is not None
            delivery.attempts += 1
            session.add(ProcessedUpdate(update_id=update_id, processed_at=NOW))

    try:
        await asyncio.gather(*(increment(update_id) for update_id in range(50)))
        async with sessions() as session:
            attempts = await session.scalar(select(Delivery.attempts))
            stored = (await session.scalars(select(ProcessedUpdate.update_id))).all()
    finally:
        await engine.dispose()
    assert (attempts, sorted(stored)) == (50, list(range(50)))
