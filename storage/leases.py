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

# Advisory locks are keyed per database, not per schema: the lease is the pair (key, a hash of
# the schema pingxing's tables are in), so two installations in two schemas of one database
# (the test suite's parallel runs) never hold each other's lease. Keys start at 0x7078 ("px").
SWEEP_LEASE = 0x7078_0001
_TAKE = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
_GIVE_BACK = text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))")


@asynccontextmanager
async def exclusive(database: Database, key: int) -> AsyncIterator[bool]:
    """Holds the lease `key` (below 2**31) if no other process does; yields whether it does.

    Does not wait: a process that finds the lease taken yields False at once.
    """
    if not isinstance(database, PostgresDatabase):
        yield True
        return
    async with database.async_engine.connect() as connection:
        held = bool(await connection.scalar(_TAKE, {"key": key}))
        # The lock belongs to the session, not the transaction: end the transaction so the
        # connection does not sit "idle in transaction" while the work runs.
        await connection.commit()
        try:
            yield held
        finally:
            if held:
                await connection.execute(_GIVE_BACK, {"key": key})
                await connection.commit()
