"""The sweep's lease: one holder at a time on PostgreSQL, always granted on SQLite."""

from __future__ import annotations

from storage.database import Database
from storage.leases import SWEEP_LEASE, exclusive
from tests.conftest import postgres_database


async def test_a_held_lease_is_refused_to_a_second_process_until_released(
    database: Database, request: object
) -> None:
    # A second Database object: its own pool, as another process would have.
    other = (
        postgres_database(request.getfixturevalue("postgres_schema"))  # type: ignore[attr-defined]
        if database.dialect == "postgresql"
        else database
    )
    try:
        async with (
            exclusive(database, SWEEP_LEASE) as first,
            exclusive(other, SWEEP_LEASE) as second,
        ):
            during = (first, second)
        async with exclusive(other, SWEEP_LEASE) as after:
            released = after
    finally:
        if other is not database:
            await other.dispose()

    expected = (True, False) if database.dialect == "postgresql" else (True, True)
    assert (during, released) == (expected, True)
