"""Planning: reminders owed exactly to the unsubmitted bound secretaries, at 09:00 local time,
never in quiet hours; a digest to the reviewers; planning twice owes nothing new."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from storage.models import DeliveryKind, DeliveryState
from storage.repositories.reminders import plan_deliveries
from storage.schedule import (
    QuietHours,
    ReminderSchedule,
    ScheduleError,
    parse_quiet_hours,
)
from tests.handlers.conftest import NOW
from tests.scheduler.deadline_town import (
    EAST,
    OFFICE,
    REVIEWER,
    SCHEDULE,
    SHANGHAI,
    WEST,
    Town2026,
)

# 09:00 in Beijing on the reminder days: 14, 7, 3 and 1 days before 2026-12-31, and that day.
REMINDER_TIMES = [datetime(2026, 12, day, 1, 0, tzinfo=UTC) for day in (17, 24, 28, 30, 31)]
OVERDUE_NOTICE = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)


async def plan(town: Town2026, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return await town.run(lambda session: plan_deliveries(session, SCHEDULE, now))


async def test_reminders_are_owed_exactly_to_unsubmitted_bound_secretaries_at_nine_local(
    town: Town2026,
) -> None:
    await plan(town)

    reminders = await town.deliveries(kind=DeliveryKind.REMINDER)
    owed = sorted((row.recipient_telegram_id, row.due_at) for row in reminders)
    expected = sorted((telegram_id, due) for telegram_id in (1001, 1003) for due in REMINDER_TIMES)
    assert owed == expected
    assert {row.payload["days"] for row in reminders} == {14, 7, 3, 1, 0}
    assert {row.payload["town_id"] for row in reminders} == {town.harness.seed.town_id}
    assert {
        row.payload["expires_at"] == (row.due_at + timedelta(days=1)).isoformat()
        for row in reminders
    } == {True}


async def test_one_overdue_notice_is_owed_the_morning_after_the_deadline(town: Town2026) -> None:
    await plan(town)

    notices = await town.deliveries(kind=DeliveryKind.OVERDUE)
    assert [(row.recipient_telegram_id, row.due_at) for row in notices] == [
        (1001, OVERDUE_NOTICE),
        (1003, OVERDUE_NOTICE),
    ]


async def test_the_reviewers_digest_is_owed_on_the_reminder_days(town: Town2026) -> None:
    await plan(town)

    digests = await town.deliveries(kind=DeliveryKind.DIGEST)
    assert [(row.recipient_telegram_id, row.due_at) for row in digests] == [
        (REVIEWER, due) for due in REMINDER_TIMES
    ]


async def test_planning_twice_owes_nothing_new(town: Town2026) -> None:
    first = await plan(town)
    rows = [(row.id, row.state) for row in await town.deliveries()]
    second = await plan(town, NOW + timedelta(hours=1))

    assert (first.owed, second.owed, second.cancelled) == (17, 0, 0)
    assert [(row.id, row.state) for row in await town.deliveries()] == rows


async def test_no_planned_message_falls_in_quiet_hours(town: Town2026) -> None:
    await plan(town)

    local_times = {row.due_at.astimezone(SHANGHAI).time() for row in await town.deliveries()}
    assert local_times == {time(9, 0)}
    assert [SCHEDULE.quiet(row.due_at) for row in await town.deliveries()] == [False] * 17


async def test_planning_owes_only_what_is_not_yet_due(town: Town2026) -> None:
    await plan(town, datetime(2026, 12, 29, 0, 0, tzinfo=UTC))

    reminders = await town.deliveries(kind=DeliveryKind.REMINDER, recipient_telegram_id=1001)
    assert [row.payload["days"] for row in reminders] == [1, 0]


async def test_a_secretary_who_submits_has_their_pending_reminders_cancelled(
    town: Town2026,
) -> None:
    from sqlalchemy.orm import Session

    from storage.repositories import submit_assessment

    await plan(town)
    east = await town.assessment(EAST)
    assert east is not None

    def submit(session: Session) -> None:

        submit_assessment(session, east.id, 4, None, NOW)

    await town.run(submit)
    report = await plan(town, NOW + timedelta(days=1))

    states = {row.state for row in await town.deliveries(recipient_telegram_id=1001)}
    assert (report.cancelled, states) == (6, {DeliveryState.CANCELLED})


async def test_a_submitted_or_unbound_branch_is_owed_nothing(town: Town2026) -> None:
    await plan(town)

    recipients = {row.recipient_telegram_id for row in await town.deliveries()}
    assert recipients == {1001, 1003, REVIEWER}
    assert WEST and OFFICE  # 1002 submitted; 南村党支部 has no secretary


def test_a_morning_deadline_has_no_reminder_on_its_own_day() -> None:
    from storage.repositories.reminders import _reminder_times

    deadline = datetime(2026, 12, 31, 8, 30, tzinfo=SHANGHAI).astimezone(UTC)
    times = list(_reminder_times([1, 0], deadline, SCHEDULE))

    assert times == [(1, datetime(2026, 12, 30, 1, 0, tzinfo=UTC))]


@pytest.mark.parametrize(
    ("window", "local", "expected"),
    [
        ("22:00-08:00", time(21, 59), False),
        ("22:00-08:00", time(22, 0), True),
        ("22:00-08:00", time(3, 0), True),
        ("22:00-08:00", time(8, 0), False),
        ("12:00-14:00", time(13, 0), True),
        ("12:00-14:00", time(14, 0), False),
    ],
)
def test_quiet_hours_may_wrap_past_midnight(window: str, local: time, expected: bool) -> None:
    quiet = parse_quiet_hours(window)

    assert quiet is not None and quiet.contains(local) is expected


def test_the_quiet_predicate_reads_utc_instants_in_local_time() -> None:
    # 14:30Z is 22:30 in Beijing.
    assert SCHEDULE.quiet(datetime(2026, 12, 1, 14, 30, tzinfo=UTC)) is True
    assert SCHEDULE.quiet(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)) is False
    assert (
        ReminderSchedule.of(SHANGHAI, "09:00", "off").quiet(
            datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
        )
        is False
    )


@pytest.mark.parametrize(
    ("reminder_time", "quiet_hours", "message"),
    [
        ("23:00", "22:00-08:00", "reminder time 23:00 is inside the quiet hours 22:00-08:00"),
        ("9 am", "22:00-08:00", "time of day must be HH:MM like 09:00, got '9 am'"),
        ("09:00", "22:00", "quiet hours must be HH:MM-HH:MM like 22:00-08:00 or off"),
        ("09:00", "08:00-08:00", "quiet hours start and end at the same time"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_value(
    reminder_time: str, quiet_hours: str, message: str
) -> None:
    with pytest.raises(ScheduleError, match=message):
        ReminderSchedule.of(SHANGHAI, reminder_time, quiet_hours)


def test_the_reminder_time_is_read_in_the_local_zone() -> None:
    schedule = ReminderSchedule(SHANGHAI, time(9, 0), QuietHours(time(22, 0), time(8, 0)))

    assert schedule.send_time(date(2026, 12, 17)) == datetime(2026, 12, 17, 1, 0, tzinfo=UTC)


async def test_the_bot_registers_one_hourly_planning_job_that_plans(town: Town2026) -> None:
    from telegram.ext import CallbackContext

    from handlers.reminders import PLANNING_JOB, plan_owed_messages

    app = town.harness.app
    jobs = app.job_queue.get_jobs_by_name(PLANNING_JOB)
    report = await plan_owed_messages(CallbackContext(app))

    assert [job.name for job in jobs] == [PLANNING_JOB]
    assert (report.owed, len(await town.deliveries())) == (17, 17)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("reminder_time", "23:30", "reminder time 23:30 is inside the quiet hours 22:00-08:00"),
        ("quiet_hours", "late", "quiet hours must be HH:MM-HH:MM like 22:00-08:00 or off"),
    ],
)
def test_settings_refuse_a_bad_reminder_time_or_quiet_hours(
    variable: str, value: str, message: str
) -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{variable: value})  # type: ignore[call-arg]
