"""The deadline: its instant, presses refused from that second, the overdue lock, and the
town's extend and reopen, which re-plan the reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from handlers.catalogue import text
from storage.models import AssessmentState, Cycle, DeliveryKind, DeliveryState
from storage.repositories import answers_of, audit_trail
from storage.repositories.reminders import (
    DeadlineError,
    extend_deadline,
    plan_deliveries,
    reopen_branch,
)
from storage.schedule import deadline_passed, parse_deadline
from tests.handlers.conftest import NOW
from tests.scheduler.deadline_town import (
    DEADLINE,
    EAST,
    OFFICE,
    SCHEDULE,
    SHANGHAI,
    WEST,
    Town2026,
)

AFTER = DEADLINE + timedelta(hours=2)
NEW_DEADLINE = datetime(2027, 1, 10, 16, 0, tzinfo=UTC)  # the end of 2027-01-10 in Beijing


def test_a_day_deadline_passes_at_the_start_of_the_next_local_day_and_not_a_second_earlier() -> (
    None
):
    deadline = parse_deadline("2026-12-31", SHANGHAI)

    assert deadline == datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)
    assert deadline_passed(deadline, datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)) is False
    assert deadline_passed(deadline, datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC)) is True


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2027-01-10", datetime(2027, 1, 10, 16, 0, tzinfo=UTC)),
        ("2027-01-10T12:00", datetime(2027, 1, 10, 4, 0, tzinfo=UTC)),
        (" 2027-01-10 12:00 ", datetime(2027, 1, 10, 4, 0, tzinfo=UTC)),
    ],
)
def test_a_deadline_is_a_day_or_a_local_time(written: str, expected: datetime) -> None:
    assert parse_deadline(written, SHANGHAI) == expected


@pytest.mark.parametrize("written", ["2027-13-01", "tomorrow", "2027-01-10T25:00", ""])
def test_an_unreadable_deadline_is_refused_naming_it(written: str) -> None:
    from storage.schedule import ScheduleError

    with pytest.raises(ScheduleError, match=f"got {written!r}"):
        parse_deadline(written, SHANGHAI)


async def test_a_press_a_second_before_the_deadline_is_saved_and_at_the_deadline_refused(
    town: Town2026,
) -> None:
    harness, user = town.harness, town.users[EAST]
    await harness.send(user, "/assess")
    harness.now = DEADLINE - timedelta(seconds=1)
    await harness.press(user, "基本做到")
    harness.now = DEADLINE
    await harness.press(user, "基本做到")

    answers = await town.run(lambda session: answers_of(session, _east_id(session, town)))
    assert answers == {"team.study": "partial", "team.policy": "full"}
    assert harness.answers()[-1]["text"] == text("common.overdue")
    assert harness.answers()[-1]["show_alert"] is True


def _east_id(session: Session, town: Town2026) -> int:
    from storage.repositories import get_assessment

    found = get_assessment(session, town.branch_id(EAST), town.cycle_id)
    assert found is not None
    return found.id


async def test_planning_after_the_deadline_locks_the_unsubmitted_as_overdue_and_audits_it(
    town: Town2026,
) -> None:
    report = await town.run(lambda session: plan_deliveries(session, SCHEDULE, AFTER))

    east, west = await town.assessment(EAST), await town.assessment(WEST)
    assert east is not None and west is not None
    assert (report.overdue, east.state, west.state) == (
        1,
        AssessmentState.OVERDUE,
        AssessmentState.SUBMITTED,
    )
    trail = await town.run(lambda session: audit_trail(session, "assessment", east.id))
    assert [(entry.action, entry.old, entry.new) for entry in trail] == [
        ("assessment.overdue", {"state": "in_progress"}, {"state": "overdue"})
    ]


async def test_an_overdue_secretary_is_told_plainly_on_assess_status_and_the_card(
    town: Town2026,
) -> None:
    harness, user = town.harness, town.users[EAST]
    await harness.send(user, "/assess")
    harness.now = AFTER
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, AFTER))

    await harness.press(user, "跳过 ➡")
    refused = harness.answers()[-1]["text"]
    await harness.send(user, "/assess")
    assess_reply = harness.last(user).text
    await harness.send(user, "/status")
    status_reply = harness.last(user).text or ""

    assert refused == text("common.overdue")
    assert assess_reply == text("common.overdue")
    assert "2026年12月31日 24:00（已截止）" in status_reply
    assert text("status.state.overdue") in status_reply


async def test_a_branch_not_started_cannot_start_after_the_deadline(town: Town2026) -> None:
    harness, user = town.harness, town.users[OFFICE]
    harness.now = DEADLINE

    await harness.send(user, "/assess")

    assert harness.last(user).text == text("common.overdue")
    assert await town.assessment(OFFICE) is None


async def test_extending_the_deadline_cancels_the_old_reminders_and_owes_new_ones(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    old_ids = {row.id for row in await town.deliveries()}

    def extend(session: Session):  # type: ignore[no-untyped-def]
        cycle = session.get_one(Cycle, town.cycle_id)
        return extend_deadline(session, cycle, NEW_DEADLINE, "雨雪天气", SCHEDULE, NOW)

    report = await town.run(extend)

    rows = await town.deliveries()
    old_states = {row.state for row in rows if row.id in old_ids}
    new = [row for row in rows if row.id not in old_ids]
    east_reminders = sorted(
        row.due_at
        for row in new
        if row.kind == DeliveryKind.REMINDER and row.recipient_telegram_id == 1001
    )
    assert (report.cancelled, report.owed, old_states) == (17, 17, {DeliveryState.CANCELLED})
    assert east_reminders == [datetime(2026, 12, day, 1, 0, tzinfo=UTC) for day in (27,)] + [
        datetime(2027, 1, day, 1, 0, tzinfo=UTC) for day in (3, 7, 9, 10)
    ]
    trail = await town.run(lambda session: audit_trail(session, "cycle", town.cycle_id))
    assert (trail[-1].action, trail[-1].reason, trail[-1].new["deadline_at"]) == (
        "cycle.extend",
        "雨雪天气",
        NEW_DEADLINE.isoformat(),
    )


async def test_extending_after_the_deadline_unlocks_the_overdue_assessments(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, AFTER))

    def extend(session: Session):  # type: ignore[no-untyped-def]
        cycle = session.get_one(Cycle, town.cycle_id)
        return extend_deadline(session, cycle, NEW_DEADLINE, "延期", SCHEDULE, AFTER)

    await town.run(extend)
    town.harness.now = AFTER
    await town.harness.send(town.users[EAST], "/assess")

    east = await town.assessment(EAST)
    assert east is not None and east.state == AssessmentState.IN_PROGRESS
    assert "第 1/38 项" in (town.harness.last(town.users[EAST]).text or "")


@pytest.mark.parametrize(
    ("deadline", "now", "message"),
    [
        (DEADLINE, NOW, "that is already the deadline"),
        (NEW_DEADLINE, NEW_DEADLINE, "that time has already passed"),
    ],
)
async def test_a_new_deadline_must_differ_from_the_current_one_and_lie_ahead(
    town: Town2026, deadline: datetime, now: datetime, message: str
) -> None:
    def extend(session: Session):  # type: ignore[no-untyped-def]
        cycle = session.get_one(Cycle, town.cycle_id)
        return extend_deadline(session, cycle, deadline, "延期", SCHEDULE, now)

    with pytest.raises(DeadlineError, match=message):
        await town.run(extend)


async def move_deadline(town: Town2026, deadline: datetime, reason: str):  # type: ignore[no-untyped-def]
    """Runs `extend_deadline` on the town's cycle at NOW; returns its plan report."""

    def change(session: Session):  # type: ignore[no-untyped-def]
        cycle = session.get_one(Cycle, town.cycle_id)
        return extend_deadline(session, cycle, deadline, reason, SCHEDULE, NOW)

    return await town.run(change)


async def east_pending_reminders(town: Town2026) -> list[datetime]:
    """When the reminders still owed to 东村党支部's secretary are due."""
    return sorted(
        row.due_at
        for row in await town.deliveries()
        if row.kind == DeliveryKind.REMINDER
        and row.recipient_telegram_id == 1001
        and row.state == DeliveryState.PENDING
    )


async def test_a_deadline_opened_too_late_is_corrected_earlier_and_replanned(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))

    await move_deadline(town, DEADLINE - timedelta(days=7), "截止日期录入有误")

    assert await east_pending_reminders(town) == [
        datetime(2026, 12, day, 1, 0, tzinfo=UTC) for day in (10, 17, 21, 23, 24)
    ]


async def test_extending_and_then_moving_back_owes_the_first_deadlines_reminders_again(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))

    await move_deadline(town, NEW_DEADLINE, "延期")
    report = await move_deadline(town, DEADLINE, "延期后恢复")

    assert (report.owed, report.cancelled) == (17, 17)
    assert await east_pending_reminders(town) == [
        datetime(2026, 12, day, 1, 0, tzinfo=UTC) for day in (17, 24, 28, 30, 31)
    ]


async def test_reopening_one_branch_lets_it_answer_until_then_and_replans_its_reminders(
    town: Town2026,
) -> None:
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, AFTER))
    until = datetime(2027, 1, 5, 16, 0, tzinfo=UTC)

    def reopen(session: Session):  # type: ignore[no-untyped-def]
        from storage.models import Branch

        cycle = session.get_one(Cycle, town.cycle_id)
        branch = session.get_one(Branch, town.branch_id(EAST))
        return reopen_branch(session, cycle, branch, until, "书记住院", SCHEDULE, AFTER)

    await town.run(reopen)
    # 3, 1 and 0 days before the end of 2027-01-05 are still ahead at 02:00 on 01-01.
    harness = town.harness
    harness.now = AFTER
    await harness.send(town.users[EAST], "/assess")
    await harness.press(town.users[EAST], "基本做到")
    harness.now = until
    await harness.press(town.users[EAST], "基本做到")

    east = await town.assessment(EAST)
    assert east is not None
    assert (east.state, east.reopened_until) == (AssessmentState.IN_PROGRESS, until)
    assert harness.answers()[-2]["text"] == text("assessment.saved", label="基本做到")
    assert harness.answers()[-1]["text"] == text("common.overdue")
    owed = await town.deliveries(recipient_telegram_id=1001, state=DeliveryState.PENDING)
    assert [(row.kind, row.due_at) for row in owed] == [
        (DeliveryKind.REMINDER, datetime(2027, 1, 2, 1, 0, tzinfo=UTC)),
        (DeliveryKind.REMINDER, datetime(2027, 1, 4, 1, 0, tzinfo=UTC)),
        (DeliveryKind.REMINDER, datetime(2027, 1, 5, 1, 0, tzinfo=UTC)),
        (DeliveryKind.OVERDUE, datetime(2027, 1, 6, 1, 0, tzinfo=UTC)),
    ]
    trail = await town.run(lambda session: audit_trail(session, "assessment", east.id))
    assert (trail[-1].action, trail[-1].reason) == ("assessment.reopen", "书记住院")


async def test_a_submitted_branch_is_not_reopened(town: Town2026) -> None:
    def reopen(session: Session):  # type: ignore[no-untyped-def]
        from storage.models import Branch

        cycle = session.get_one(Cycle, town.cycle_id)
        branch = session.get_one(Branch, town.branch_id(WEST))
        return reopen_branch(session, cycle, branch, NEW_DEADLINE, "x", SCHEDULE, AFTER)

    with pytest.raises(DeadlineError, match="西村党支部' is submitted"):
        await town.run(reopen)
