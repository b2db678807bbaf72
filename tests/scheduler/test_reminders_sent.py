"""Reminders through the sweep: they reach exactly the unsubmitted bound secretaries, at the
reminder time in local time, never in quiet hours, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import delivery_renderers
from handlers.sending import SendPacer
from handlers.sweep import Sweep
from storage.models import DeliveryState
from storage.repositories.reminders import plan_deliveries
from tests.handlers.conftest import NOW
from tests.scheduler.deadline_town import REVIEWER, SCHEDULE, SHANGHAI, Town2026

# 09:00 in Beijing, 14 days before the end of 2026-12-31: the first reminder day.
FIRST_REMINDER = datetime(2026, 12, 17, 1, 0, tzinfo=UTC)


async def sweep_at(town: Town2026, moment: datetime) -> None:
    sweep = Sweep(
        town.database,
        town.harness.app.bot,
        delivery_renderers(SHANGHAI),
        SendPacer(),
        now=lambda: moment,
        quiet=SCHEDULE.quiet,
    )
    await sweep.run()


def received(town: Town2026) -> list[tuple[int, str]]:
    """(chat, first line) of every message the bot sent on its own, in order."""
    return [
        (int(call.params["chat_id"]), str(call.params["text"]).splitlines()[0])
        for call in town.harness.api.calls_to("sendMessage")
        if str(call.params["text"]).startswith(("⏰", "📊", "⚠️"))
    ]


async def test_reminders_reach_exactly_the_unsubmitted_bound_secretaries_at_nine_local(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))

    await sweep_at(town, FIRST_REMINDER - timedelta(seconds=1))
    before_nine = received(town)
    await sweep_at(town, FIRST_REMINDER)
    await sweep_at(town, FIRST_REMINDER + timedelta(minutes=1))

    assert before_nine == []
    assert sorted(received(town)) == [
        (1001, "⏰ 评星定级自评提醒 · 东村党支部"),
        (1003, "⏰ 评星定级自评提醒 · 镇机关党支部"),
        (
            REVIEWER,
            "📊 城关镇 2026 年度评星定级进度（截止时间：2026年12月31日 24:00，还剩 14 天）",
        ),
    ]


async def test_a_reminder_missed_overnight_waits_for_the_end_of_quiet_hours(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    late_evening = FIRST_REMINDER + timedelta(hours=14)  # 23:00 in Beijing
    next_morning = FIRST_REMINDER + timedelta(hours=23)  # 08:00 in Beijing

    await sweep_at(town, late_evening)
    during_quiet_hours = received(town)
    await sweep_at(town, next_morning)

    assert during_quiet_hours == []
    assert sorted(chat for chat, _ in received(town)) == [1001, 1003, REVIEWER]
    states = {row.state for row in await town.deliveries(due_at=FIRST_REMINDER)}
    assert states == {DeliveryState.SENT}


async def test_a_reminder_to_a_secretary_who_has_just_submitted_is_dropped_at_send_time(
    town: Town2026,
) -> None:
    from sqlalchemy.orm import Session

    from storage.repositories import submit_assessment
    from tests.scheduler.deadline_town import EAST

    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    east = await town.assessment(EAST)
    assert east is not None

    def submit(session: Session) -> None:
        submit_assessment(session, east.id, 4, None, NOW)

    await town.run(submit)  # no planning run in between: the sweep alone must notice
    await sweep_at(town, FIRST_REMINDER)

    rows = await town.deliveries(due_at=FIRST_REMINDER, recipient_telegram_id=1001)
    assert [row.state for row in rows] == [DeliveryState.CANCELLED]
    assert sorted(chat for chat, _ in received(town)) == [1003, REVIEWER]


async def test_reminders_missed_during_three_hours_of_downtime_go_out_once_on_return(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    down_at = FIRST_REMINDER - timedelta(minutes=30)  # the last sweep before the outage
    back_at = FIRST_REMINDER + timedelta(hours=2, minutes=30)  # three hours later

    await sweep_at(town, down_at)
    await sweep_at(town, back_at)
    await sweep_at(town, back_at + timedelta(seconds=30))

    assert sorted(chat for chat, _ in received(town)) == [1001, 1003, REVIEWER]
    states = {row.state for row in await town.deliveries(due_at=FIRST_REMINDER)}
    assert states == {DeliveryState.SENT}


async def test_a_reminder_more_than_a_day_late_is_not_sent(town: Town2026) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    # Down from before the first reminder until the day after, 10:00 in Beijing; the next
    # reminder (7 days before) is not due yet.
    await sweep_at(town, FIRST_REMINDER + timedelta(days=1, hours=1))

    secretaries = [chat for chat, _ in received(town) if chat != REVIEWER]
    assert secretaries == []
    rows = await town.deliveries(due_at=FIRST_REMINDER, recipient_telegram_id=1001)
    assert [row.state for row in rows] == [DeliveryState.EXPIRED]
