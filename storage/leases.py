"""One holder at a time among every process on a database: PostgreSQL advisory locks.

Several instances share one PostgreSQL database. Work that must run in one process at a time,
whichever it is (the delivery sweep: its send rate is the bot's whole budget with Telegram),
takes a session-level advisory lock on a connection of its own for as long as it runs. If the
process dies the connection closes and the lock goes with it, so another instance takes over
at its next try. SQLite serves one instance per file: there the lease is always granted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from storage.database import Database, PostgresDatabase

__all__ = ["SWEEP_LEASE", "exclusive"]

# Advisory lock keys are one bigint namespace per database; pingxing's start at 0x7078 ("px").
SWEEP_LEASE = 0x7078_0001


@asynccontextmanager
async def exclusive(database: Database, key: int) -> AsyncIterator[bool]:
    """Holds the lease `key` if no other process does; yields whether this one holds it.

    Does not wait: a process that finds the lease taken yields False at once.
    """
    if not isinstance(database, PostgresDatabase):
        yield True
        return
    async with database.async_engine.connect() as connection:
        held = bool(
            await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        )
        # The lock belongs to the session, not the transaction: end the transaction so the
        # connection does not sit "idle in transaction" while the work runs.
        await connection.commit()
        try:
            yield held
        finally:
            if held:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
