"""One user floods the bot: how long another user's command waits, with and without the cap.

The real `build_application` on a fresh SQLite file and the fake Bot API. `FLOOD` text messages
from one unbound user (each a unit of work: the update id marked, "not bound" answered) and then
one `/status` from another user are handed to a `PerUserUpdateProcessor` as PTB's update fetcher
would (a task per update, in arrival order). The figure is the second user's latency, from the
hand-over to their reply sent, once with the per-user cap (`MAX_QUEUED_PER_USER`) and once with a
cap too high to matter, side by side, `RUNS` times each.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.offline import FakeBotApi, FakeUser, UpdateFactory
from bot.settings import Settings
from handlers.ordering import MAX_QUEUED_PER_USER, PerUserUpdateProcessor
from storage.database import open_database

FLOOD = 2_000
RUNS = 3
NO_CAP = 10**9


async def _other_users_latency(folder: Path, cap: int) -> float:
    """Seconds from handing the flood and the press over until the press is answered."""
    url = f"sqlite:///{folder / f'flood-{cap}-{time.monotonic_ns()}.sqlite3'}"
    database = await open_database(url)
    api = FakeBotApi()
    settings = Settings(_env_file=None, database_url=url, bot_token=None)  # type: ignore[call-arg]
    application = build_application(settings, request=api, database=database)
    await application.initialize()
    processor = PerUserUpdateProcessor(max_queued_per_user=cap)
    factory = UpdateFactory(api, application.bot, check=False)
    flood = [factory.message(FakeUser(1, "刷屏者"), f"第{n}条") for n in range(FLOOD)]
    press = factory.message(FakeUser(2, "张书记"), "/status")
    answered: dict[str, float] = {}

    async def handle(update: Update, key: str) -> None:
        await application.process_update(update)
        answered[key] = time.perf_counter()

    started = time.perf_counter()
    jobs: list[Any] = [processor.process_update(u, handle(u, "flood")) for u in flood]
    jobs.append(processor.process_update(press, handle(press, "press")))
    await asyncio.gather(*(asyncio.create_task(job) for job in jobs))
    await application.shutdown()
    await database.dispose()
    return answered["press"] - started


def main() -> None:
    """Prints the other user's latency, capped and uncapped, alternating runs."""
    with tempfile.TemporaryDirectory() as folder:
        for run in range(1, RUNS + 1):
            for label, cap in (
                (f"cap {MAX_QUEUED_PER_USER}", MAX_QUEUED_PER_USER),
                ("no cap", NO_CAP),
            ):
                latency = asyncio.run(_other_users_latency(Path(folder), cap))
                milliseconds = latency * 1000
                print(
                    f"run {run}, {label:>6}: the other user answered after {milliseconds:,.0f} ms"
                )
