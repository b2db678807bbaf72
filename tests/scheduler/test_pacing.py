"""The pacer and the fake Bot API's flood control agree with Telegram's limits."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import RetryAfter, TelegramError

from bot.offline.flood_control import FloodControl
from handlers.sending import SendPacer, retry_after_seconds
from tests.scheduler.conftest import TOKEN, FakeClock, make_api


async def turns(pacer: SendPacer, clock: FakeClock, chats: list[int]) -> list[float]:
    """The fake time at which each chat in turn was given its turn."""
    taken = []
    for chat in chats:
        await pacer.wait_turn(chat)
        taken.append(round(clock.monotonic(), 6))
    return taken


async def test_the_pacer_spaces_messages_at_its_rate_overall(clock: FakeClock) -> None:
    pacer = SendPacer(4, clock=clock.monotonic, sleep=clock.sleep)
    assert await turns(pacer, clock, [1, 2, 3, 4, 5]) == [0.0, 0.25, 0.5, 0.75, 1.0]


async def test_the_pacer_keeps_a_second_between_two_messages_into_one_chat(
    clock: FakeClock,
) -> None:
    pacer = SendPacer(10, clock=clock.monotonic, sleep=clock.sleep)
    assert await turns(pacer, clock, [1, 2, 1, 3]) == [0.0, 0.1, 1.0, 1.1]


async def test_a_pause_holds_every_chat_until_it_ends(clock: FakeClock) -> None:
    pacer = SendPacer(10, clock=clock.monotonic, sleep=clock.sleep)
    await pacer.wait_turn(1)
    pacer.pause(7)
    assert await turns(pacer, clock, [2, 3]) == [7.0, 7.1]


def test_a_pacer_refuses_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="send rate must be above 0, got 0"):
        SendPacer(0)


def test_telegrams_flood_control_allows_thirty_a_second_then_answers_429(
    clock: FakeClock,
) -> None:
    flood = FloodControl(clock.monotonic)
    admitted = [flood.admit(chat) for chat in range(30)]
    refused = flood.admit(30)
    clock.elapsed = 0.5
    still_banned = flood.admit(31)
    clock.elapsed = 1.0
    again = flood.admit(32)

    assert admitted == [None] * 30
    assert (refused.status, refused.retry_after) == (429, 1)  # type: ignore[union-attr]
    assert still_banned is not None
    assert again is None


def test_telegrams_flood_control_allows_one_message_a_second_into_a_chat(
    clock: FakeClock,
) -> None:
    flood = FloodControl(clock.monotonic)
    first = flood.admit(7)
    clock.elapsed = 0.4
    too_soon = flood.admit(7)
    other_chat = flood.admit(8)
    clock.elapsed = 1.4  # the refusal's retry_after (1 s) has passed
    after_the_wait = flood.admit(7)

    assert (first, other_chat, after_the_wait) == (None, None, None)
    assert too_soon is not None
    assert too_soon.description == "Too Many Requests: retry after 1"


async def test_the_limit_enforcing_fake_answers_429_with_retry_after(clock: FakeClock) -> None:
    api = make_api(clock, enforce_limits=True)
    bot = Bot(TOKEN, request=api, get_updates_request=api)
    await bot.initialize()
    try:
        await bot.send_message(5, "one")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(5, "two")
        await bot.send_chat_action(5, "typing")
    finally:
        await bot.shutdown()

    assert retry_after_seconds(caught.value) == 1.0
    assert [call.params["text"] for call in api.calls_answered(429)] == ["two"]


async def test_a_chat_can_be_made_to_refuse_with_a_400(clock: FakeClock) -> None:
    api = make_api(clock)
    api.refuse_chat(9, 400, "Bad Request: chat not found")
    bot = Bot(TOKEN, request=api, get_updates_request=api)
    await bot.initialize()
    try:
        refused = [await _outcome(bot, 9), await _outcome(bot, 10)]
    finally:
        await bot.shutdown()
    assert refused == ["BadRequest: Chat not found", "sent"]


async def _outcome(bot: Bot, chat_id: int) -> str:
    try:
        await bot.send_message(chat_id, "hi")
    except TelegramError as error:
        return f"{type(error).__name__}: {error.message}"
    return "sent"
