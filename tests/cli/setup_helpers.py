"""What the admin command tests share: the sample file, this year's deadline, a query helper."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.cli.admin_support import SHANGHAI
from storage.database import open_database

SAMPLE = Path(__file__).parents[2] / "samples" / "org.csv"
# A deadline must not be in the past: the cycles here are this year's, due on its last day.
YEAR = datetime.now(SHANGHAI).year
DEADLINE = f"{YEAR}-12-31"
EAST_BRANCH = "温店镇/东村党支部"


def query(url: str, work):  # type: ignore[no-untyped-def]
    """Runs `work(session)` against the database and returns its result."""

    async def run():  # type: ignore[no-untyped-def]
        database = await open_database(url)
        try:
            return await database.run(work)
        finally:
            await database.dispose()

    return asyncio.run(run())


def import_sample_with_a_secretary(cli) -> None:  # type: ignore[no-untyped-def]
    """Imports the sample town and makes Telegram user 556 the secretary of its 东村党支部."""
    cli("org", "import", str(SAMPLE))
    cli("role", "grant", "--telegram-id", "556", "--role", "secretary", "--org", EAST_BRANCH)


def open_this_years_cycle(cli, *options: str):  # type: ignore[no-untyped-def]
    """Opens 温店镇's cycle for this year, due on its last day, with any further `options`."""
    return cli(
        "cycle", "open", "--town", "温店镇", "--year", str(YEAR), "--deadline", DEADLINE, *options
    )
