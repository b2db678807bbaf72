"""The sweep sends each due delivery at most once, within Telegram's limits, and marks it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot
from telegram.error import TimedOut

from handlers.outbox import OutgoingMessage
from handlers.sweep import STALE_SENDING
from storage.database import create_database
from storage.models import DeliveryKind
from tests.conftest import postgres_database
from tests.scheduler.conftest import TOKEN, FakeClock, Outbox, make_api


class SimulatedCrash(Exception):
    """The process dies between Telegram's answer and the mark."""


class CrashAfterSending:
    """Sends through the real bot, then crashes on the `crash_on`-th message."""

    def __init__(self, bot: Bot, crash_on: int) -> None:
        self.bot = bot
        self.crash_on = crash_on
        self.sent = 0

    async def send_message(self, chat_id: int, text: str, **options: Any) -> Any:
        message = await self.bot.send_message(chat_id, text, **options)
        self.sent += 1
        if self.sent == self.crash_on:
            raise SimulatedCrash
        return message


class FloodMidway:
    """Sends through the real bot; before the `flood_on`-th send Telegram answers one 429."""

    def __init__(self, outbox: Outbox, flood_on: int, retry_after: int) -> None:
        self.outbox = outbox
        self.flood_on = flood_on
        self.retry_after = retry_after
        self.calls = 0
        self.accepted_at: list[float] = []
        self.flooded_at: list[float] = []

    async def send_message(self, chat_id: int, text: str, **options: Any) -> Any:
        self.calls += 1
        if self.calls == self.flood_on:
            self.outbox.api.fail_next("sendMessage", 429, retry_after=self.retry_after)
        at = self.outbox.clock.monotonic()
        try:
            message = await self.outbox.bot.send_message(chat_id, text, **options)
        except Exception:
            self.flooded_at.append(at)
            raise
        self.accepted_at.append(at)
        return message


async def test_a_sweep_sends_each_due_delivery_and_a_second_sweep_sends_nothing_new(
    outbox: Outbox,
) -> None:
    await outbox.owe(range(1, 41))
    await outbox.owe([99], due_in=timedelta(hours=1))
    pacer = outbox.pacer()

    first = await outbox.sweep(pacer).run()
    second = await outbox.sweep(pacer).run()

    assert sorted(outbox.sent_to()) == list(range(1, 41))
    assert (dict(first.outcomes), dict(second.outcomes)) == ({"sent": 40}, {})
    rows = await outbox.rows()
    assert rows[1] == ("sent", 1, None)
    assert rows[99] == ("pending", 0, None)
    assert outbox.api.last_message(7).text == "reminder d1"


async def test_a_delivery_goes_out_once_its_time_has_come(outbox: Outbox) -> None:
    await outbox.owe([5], due_in=timedelta(minutes=10), button=True)
    pacer = outbox.pacer()
    early = await outbox.sweep(pacer).run()
    outbox.clock.advance(timedelta(minutes=10))
    on_time = await outbox.sweep(pacer).run()

    assert (dict(early.outcomes), dict(on_time.outcomes)) == ({}, {"sent": 1})
    assert [button.text for button in outbox.api.last_message(5).buttons] == ["open"]


async def test_two_sweeps_at_once_on_two_engines_send_each_message_once(
    database, clock: FakeClock, request: pytest.FixtureRequest
) -> None:
    if database.dialect == "sqlite":
        other_database = create_database(database.url)
    else:
        other_database = postgres_database(request.getfixturevalue("postgres_schema"))
    # Two processes: each its own engine, bot and pacer; one Telegram.
    api = make_api(clock)
    bots = [Bot(TOKEN, request=api, get_updates_request=api) for _ in range(2)]
    for bot in bots:
        await bot.initialize()
    try:
        outboxes = [
            Outbox(database, clock, api, bots[0]),
            Outbox(other_database, clock, api, bots[1]),
        ]
        await outboxes[0].owe(range(1, 301))
        reports = await asyncio.gather(*(outbox.sweep().run() for outbox in outboxes))
    finally:
        for bot in bots:
            await bot.shutdown()
        await other_database.dispose()

    sent = Counter(outboxes[0].sent_to())
    assert (len(sent), set(sent.values())) == (300, {1})
    assert [report.outcomes["sent"] > 0 for report in reports] == [True, True]
    assert {state for state, _, _ in (await outboxes[0].rows()).values()} == {"sent"}


async def test_a_crash_between_send_and_mark_leaves_it_unknown_and_never_resent(
    outbox: Outbox,
) -> None:
    await outbox.owe(range(1, 11))
    pacer = outbox.pacer()
    crashing = CrashAfterSending(outbox.bot, crash_on=3)
    with pytest.raises(SimulatedCrash):
        await outbox.sweep(pacer, sender=crashing).run()
    after_crash = await outbox.rows()
    sent_before_crash = set(outbox.sent_to())

    restarted = await outbox.sweep(pacer).run()
    outbox.clock.advance(STALE_SENDING + timedelta(seconds=1))
    later = await outbox.sweep(pacer).run()

    # The third send crashed before its mark (and a send still in flight may have been cut
    # off before its own); those stay `sending`, then become `unknown`. The rows the crashed
    # run never started went back to pending and went out after the restart.
    stuck = {chat for chat, (state, _, _) in after_crash.items() if state == "sending"}
    pending = {chat for chat, (state, _, _) in after_crash.items() if state == "pending"}
    assert 3 in stuck
    assert stuck <= sent_before_crash
    assert pending == set(range(1, 11)) - sent_before_crash
    assert dict(restarted.outcomes) == {"sent": len(pending)}
    assert dict(later.outcomes) == {"unknown": len(stuck)}
    final = await outbox.rows()
    assert {chat for chat, (state, _, _) in final.items() if state == "unknown"} == stuck
    assert Counter(outbox.sent_to()) == dict.fromkeys(range(1, 11), 1)


async def test_a_429_in_a_broadcast_of_hundreds_pauses_all_sending_and_loses_nothing(
    outbox: Outbox,
) -> None:
    await outbox.owe(range(1, 401))
    flooding = FloodMidway(outbox, flood_on=150, retry_after=7)

    report = await outbox.sweep(sender=flooding).run()

    sent = Counter(outbox.sent_to())
    assert (len(sent), set(sent.values())) == (400, {1})
    assert (report.flood_waits, len(flooding.flooded_at)) == (1, 1)
    flooded_at = flooding.flooded_at[0]
    resumed_at = min(at for at in flooding.accepted_at if at > flooded_at)
    assert resumed_at >= flooded_at + 7
    assert dict(report.outcomes) == {"sent": 400}


async def test_a_sweep_paced_above_telegrams_limit_waits_out_each_429_and_loses_nothing(
    outbox: Outbox,
) -> None:
    await outbox.owe(range(1, 201))

    report = await outbox.sweep(outbox.pacer(rate=60)).run()

    sent = Counter(outbox.sent_to())
    assert (len(sent), set(sent.values())) == (200, {1})
    assert report.flood_waits == len(outbox.api.calls_answered(429)) > 0
    assert dict(report.outcomes) == {"sent": 200}


async def test_at_the_default_rate_telegrams_limits_are_never_hit(outbox: Outbox) -> None:
    await outbox.owe(range(1, 301))
    await outbox.owe(range(1, 11), due_key="d2")

    report = await outbox.sweep().run()

    assert (report.flood_waits, outbox.api.calls_answered(429)) == (0, [])
    assert dict(report.outcomes) == {"sent": 310}
    assert outbox.clock.monotonic() == pytest.approx(309 / 25)


async def test_recipients_who_blocked_the_bot_are_unreachable_and_never_retried(
    outbox: Outbox,
) -> None:
    await outbox.owe(range(1, 6))
    for blocked in (2, 4):
        outbox.api.block_chat(blocked)
    pacer = outbox.pacer()

    report = await outbox.sweep(pacer).run()
    outbox.clock.advance(timedelta(hours=1))
    again = await outbox.sweep(pacer).run()

    assert dict(report.outcomes) == {"sent": 3, "unreachable": 2}
    assert dict(again.outcomes) == {}
    rows = await outbox.rows()
    assert rows[2] == ("unreachable", 1, "Forbidden: bot was blocked by the user")
    assert len(outbox.api.calls_to("sendMessage")) == 5


async def test_a_400_is_retried_with_backoff_up_to_five_sends_then_fails_with_the_error(
    outbox: Outbox,
) -> None:
    await outbox.owe([1, 2])
    outbox.api.refuse_chat(2, 400, "Bad Request: chat not found")
    pacer = outbox.pacer()
    states = []
    for _ in range(6):
        await outbox.sweep(pacer).run()
        states.append((await outbox.rows())[2][:2])
        outbox.clock.advance(timedelta(minutes=10))

    assert states == [
        ("pending", 1),
        ("pending", 2),
        ("pending", 3),
        ("pending", 4),
        ("failed_permanent", 5),
        ("failed_permanent", 5),
    ]
    assert (await outbox.rows())[2][2] == "BadRequest: Chat not found"
    assert Counter(outbox.sent_to()) == {1: 1}
    assert len(outbox.api.calls_to("sendMessage")) == 1 + 5


async def test_a_retry_waits_for_its_backoff(outbox: Outbox) -> None:
    await outbox.owe([3])
    outbox.api.fail_next("sendMessage", 502)
    pacer = outbox.pacer()
    failed = await outbox.sweep(pacer).run()
    outbox.clock.advance(timedelta(seconds=20))
    too_soon = await outbox.sweep(pacer).run()
    outbox.clock.advance(timedelta(seconds=15))
    retried = await outbox.sweep(pacer).run()

    assert [dict(r.outcomes) for r in (failed, too_soon, retried)] == [
        {"retried": 1},
        {},
        {"sent": 1},
    ]
    assert (await outbox.rows())[3] == ("sent", 2, "NetworkError: Bad Gateway")


async def test_nothing_is_sent_in_quiet_hours(outbox: Outbox) -> None:
    await outbox.owe(range(1, 4))
    quiet_until = outbox.clock.now() + timedelta(hours=8)
    pacer = outbox.pacer()

    def quiet(now: Any) -> bool:
        return now < quiet_until

    night = await outbox.sweep(pacer, quiet=quiet).run()
    outbox.clock.advance(timedelta(hours=8))
    morning = await outbox.sweep(pacer, quiet=quiet).run()

    assert (night.quiet, dict(night.outcomes)) == (True, {})
    assert dict(morning.outcomes) == {"sent": 3}
    assert outbox.api.calls_to("sendMessage")[0].ok


async def test_expired_cancelled_and_unrenderable_deliveries_are_ended_not_sent(
    outbox: Outbox,
) -> None:
    past = (outbox.clock.now() - timedelta(seconds=1)).isoformat()
    future = (outbox.clock.now() + timedelta(hours=1)).isoformat()
    await outbox.owe([1], expires_at=past)
    await outbox.owe([2], expires_at=future)
    await outbox.owe([3], owed=False)
    await outbox.owe([4], kind=DeliveryKind.DIGEST)
    await outbox.owe([5], expires_at="tomorrow")

    report = await outbox.sweep().run()

    assert dict(report.outcomes) == {
        "expired": 1,
        "sent": 1,
        "cancelled": 1,
        "failed_permanent": 2,
    }
    rows = await outbox.rows()
    assert rows[4] == ("failed_permanent", 1, "no renderer for delivery kind 'digest'")
    assert rows[5][2] == "payload expires_at is not an ISO time: 'tomorrow'"
    assert outbox.sent_to() == [2]


async def test_a_renderer_that_fails_ends_its_delivery_and_the_rest_go_out(
    outbox: Outbox,
) -> None:
    def broken(session: Any, delivery: Any, now: Any) -> OutgoingMessage | None:
        raise KeyError("branch")

    outbox.renderers[DeliveryKind.RESULT] = broken
    await outbox.owe([1], kind=DeliveryKind.RESULT)
    await outbox.owe([2])

    report = await outbox.sweep().run()

    assert dict(report.outcomes) == {"failed_permanent": 1, "sent": 1}
    assert (await outbox.rows())[1][2] == "rendering failed: KeyError('branch')"


async def test_a_stopped_sweep_hands_back_what_it_had_not_started(outbox: Outbox) -> None:
    await outbox.owe(range(1, 51))
    pacer = outbox.pacer()
    run = asyncio.create_task(outbox.sweep(pacer).run())
    while len(outbox.api.calls_to("sendMessage")) < 10:
        await asyncio.sleep(0)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    rows = await outbox.rows()
    called = set(outbox.sent_to())
    pending = {chat for chat, (state, _, _) in rows.items() if state == "pending"}

    resumed = await outbox.sweep(pacer).run()

    # A send already made ends `sent`, or stays `sending` if cut off before its mark; every row
    # whose send had not begun is pending again, its claim undone, and goes out on the next run.
    assert {state for state, _, _ in rows.values()} <= {"sent", "sending", "pending"}
    assert pending == set(range(1, 51)) - called
    assert {rows[chat][1] for chat in pending} == {0}
    assert dict(resumed.outcomes) == {"sent": len(pending)}
    assert set(Counter(outbox.sent_to()).values()) == {1}


class TimesOut:
    """A Bot API call whose answer never came: it may have reached Telegram."""

    async def send_message(self, chat_id: int, text: str, **options: Any) -> Any:
        raise TimedOut


async def test_a_send_that_timed_out_is_unknown_and_never_sent_again(outbox: Outbox) -> None:
    await outbox.owe([1])
    pacer = outbox.pacer()
    timed_out = await outbox.sweep(pacer, sender=TimesOut()).run()
    outbox.clock.advance(timedelta(hours=1))
    later = await outbox.sweep(pacer).run()

    assert (dict(timed_out.outcomes), dict(later.outcomes)) == ({"unknown": 1}, {})
    assert (await outbox.rows())[1] == ("unknown", 1, "TimedOut: Timed out")
