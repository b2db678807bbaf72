"""One user's updates are processed one at a time and in order; different users overlap."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from telegram import Update

from bot.offline import FakeUser
from handlers.ordering import PerUserUpdateProcessor
from storage.models import Evidence
from tests.handlers.conftest import Harness


def update_from(user_id: int, update_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "x"},
                "text": "hi",
            },
        },
        None,
    )


async def run_all(processor: PerUserUpdateProcessor, jobs: list[tuple[int, float]]) -> list[str]:
    """Runs a job per (user, seconds) through the processor; returns the start/end log."""
    log: list[str] = []

    async def job(index: int, seconds: float) -> None:
        log.append(f"start {index}")
        await asyncio.sleep(seconds)
        log.append(f"end {index}")

    await asyncio.gather(
        *(
            processor.process_update(update_from(user, index), job(index, seconds))
            for index, (user, seconds) in enumerate(jobs)
        )
    )
    return log


async def test_one_users_updates_never_overlap_and_keep_their_order() -> None:
    processor = PerUserUpdateProcessor()
    log = await run_all(processor, [(1, 0.03), (1, 0.0), (1, 0.01)])

    assert log == ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
    assert processor.tracked_users == 0


async def test_different_users_run_in_parallel() -> None:
    log = await run_all(PerUserUpdateProcessor(), [(1, 0.03), (2, 0.0)])

    assert log == ["start 0", "start 1", "end 1", "end 0"]


async def test_concurrent_notes_of_one_user_are_stored_in_the_order_sent(
    bot: Harness, secretary: FakeUser
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    notes = [f"第{n}条说明" for n in range(1, 7)]
    updates = [bot.updates.message(secretary, note) for note in notes]
    processor = bot.app.update_processor
    await asyncio.gather(
        *(processor.process_update(u, bot.app.process_update(u)) for u in updates)
    )

    stored = await bot.database.run(
        lambda session: session.scalars(select(Evidence.caption).order_by(Evidence.id)).all()
    )
    assert stored == notes
