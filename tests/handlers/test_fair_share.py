"""One user flooding the bot does not slow another user down."""

from __future__ import annotations

import asyncio

from bot.offline import FakeUser
from handlers.catalogue import text
from handlers.ordering import MAX_QUEUED_PER_USER
from tests.handlers.conftest import Harness

FLOOD = 2_000


async def test_a_flood_of_2000_updates_does_not_queue_another_users_press_behind_it(
    bot: Harness, secretary: FakeUser
) -> None:
    flooder = FakeUser(1999, "刷屏者")
    processor = bot.app.update_processor
    flood = [bot.updates.message(flooder, f"第{n}条") for n in range(FLOOD)]
    press = bot.updates.message(secretary, "/help")
    other_user_done = asyncio.Event()
    started: list[str] = []

    async def flooders_update(number: int) -> None:
        started.append("flood")
        # The flooder's updates take as long as they take: here, until the other user is
        # served, so a press queued behind the flood would never start (and the test time out).
        await other_user_done.wait()

    async def other_users_press() -> None:
        started.append("press")
        other_user_done.set()

    jobs = [processor.process_update(u, flooders_update(n)) for n, u in enumerate(flood)]
    jobs.append(processor.process_update(press, other_users_press()))
    await asyncio.wait_for(asyncio.gather(*jobs), timeout=10)

    # The press ran while the flooder's first update was still running: nothing of the flood
    # was ahead of it. The flooder got their fair share of 20 updates; the rest were dropped.
    assert started[:2] == ["flood", "press"]
    assert started.count("flood") == MAX_QUEUED_PER_USER
    told = [m.text for m in bot.api.chat_messages(flooder.id)]
    assert told == [text("common.too_fast")]
    assert processor.tracked_users == 0


async def test_after_the_flood_drains_the_user_is_served_again(bot: Harness) -> None:
    flooder = FakeUser(1999, "刷屏者")
    processor = bot.app.update_processor
    burst = [bot.updates.message(flooder, "/help") for _ in range(MAX_QUEUED_PER_USER + 5)]
    await asyncio.gather(*(processor.process_update(u, bot.app.process_update(u)) for u in burst))
    bot.api.reset_calls()

    await bot.send(flooder, "/help")

    assert [call.params["text"] for call in bot.api.calls_to("sendMessage")] == [text("help.help")]


async def test_a_flood_of_presses_gets_one_too_fast_toast(
    bot: Harness, secretary: FakeUser
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    card = bot.card(secretary)
    presses = [
        bot.updates.press_button(secretary, card, "完全做到")
        for _ in range(MAX_QUEUED_PER_USER + 30)
    ]
    bot.api.reset_calls()
    processor = bot.app.update_processor

    await asyncio.gather(
        *(processor.process_update(u, bot.app.process_update(u)) for u in presses)
    )

    toasts = [answer.get("text") for answer in bot.answers()]
    assert toasts.count(text("common.too_fast")) == 1
    assert len(toasts) == MAX_QUEUED_PER_USER + 1
