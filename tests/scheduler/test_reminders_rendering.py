"""What the deadline messages say, rendered from planned rows; the 继续自评 press."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import update
from sqlalchemy.orm import Session

from handlers.callbacks import Kind, decode
from handlers.catalogue import text
from handlers.reminders import render_digest, render_overdue, render_reminder
from storage.models import Delivery, DeliveryKind, DeliveryState
from storage.repositories import submit_assessment
from storage.repositories.deliveries import claim_due_deliveries, mark_sent
from storage.repositories.reminders import plan_deliveries
from tests.handlers.conftest import NOW, snapshot
from tests.scheduler.deadline_town import (
    EAST,
    OFFICE,
    REVIEWER,
    SCHEDULE,
    SHANGHAI,
    WEST,
    Town2026,
)

reminder = partial(render_reminder, zone=SHANGHAI)
overdue = partial(render_overdue, zone=SHANGHAI)
digest = partial(render_digest, zone=SHANGHAI)
# 09:00 in Beijing, three days before the end of 2026-12-31.
THREE_DAYS_BEFORE = datetime(2026, 12, 28, 1, 0, tzinfo=UTC)


async def planned(town: Town2026, kind: DeliveryKind, recipient: int, days: int | None = None):  # type: ignore[no-untyped-def]
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    rows = await town.deliveries(kind=kind, recipient_telegram_id=recipient)
    return next(row for row in rows if days is None or row.payload["days"] == days)


async def test_a_reminder_says_days_left_progress_the_provisional_star_and_the_biggest_losses(
    town: Town2026,
) -> None:
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=3)

    message = await town.render(reminder, row.id, THREE_DAYS_BEFORE)

    assert message is not None
    lines = message.text.splitlines()
    assert lines[:3] == [
        "⏰ 评星定级自评提醒 · 东村党支部",
        "2026 年度自评截止时间：2026年12月31日 24:00（还剩 3 天）",
        "进度：已答 2/38 项，预估星级：一星级（假设评议得分等于基础项百分制得分）",
    ]
    assert lines[3] == text("reminders.missing_heading")
    assert len([line for line in lines if line.startswith("· ")]) == 3
    assert [[button.text for button in row] for row in message.keyboard.inline_keyboard] == [
        ["继续自评"]
    ]
    data = decode(message.keyboard.inline_keyboard[0][0].callback_data)
    east = await town.assessment(EAST)
    assert (data.kind, data.assessment_id) == (Kind.RESUME, east.id)


async def test_a_reminders_provisional_star_counts_the_declared_deduction_as_the_summary_does(
    town: Town2026,
) -> None:
    from decimal import Decimal

    from scoring import default_rubric
    from storage.models import AnswerSource, ClaimDirection
    from storage.repositories import add_claim, set_answer

    row = await planned(town, DeliveryKind.REMINDER, 1001, days=3)
    east = await town.assessment(EAST)
    assert east is not None

    def all_full_and_a_deduction(session: Session) -> None:
        for item in default_rubric().items_for("rural"):
            set_answer(session, east.id, item.id, "full", AnswerSource.SELF, None, NOW)
        add_claim(
            session, east.id, ClaimDirection.DEDUCTION, "major_incident", Decimal(20), "舆情",
            None, NOW,
        )  # fmt: skip

    await town.run(all_full_and_a_deduction)
    message = await town.render(reminder, row.id, THREE_DAYS_BEFORE)

    # 100 − 20 at 70% and a review assumed at 100: 86, and a deduction bars five stars anyway.
    assert message is not None
    assert message.text.splitlines()[2] == (
        "进度：已答 38/38 项，预估星级：四星级（假设评议得分等于基础项百分制得分）"
    )


async def test_a_reminder_to_a_secretary_who_has_not_started_starts_at_the_first_item(
    town: Town2026,
) -> None:
    row = await planned(town, DeliveryKind.REMINDER, 1003, days=3)

    message = await town.render(reminder, row.id, THREE_DAYS_BEFORE)

    assert message is not None
    assert "进度：已答 0/36 项" in message.text
    office = await town.assessment(OFFICE)
    assert office is not None and office.current_item_id is None


async def test_a_reminder_is_dropped_once_the_secretary_has_submitted(town: Town2026) -> None:
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=3)
    east = await town.assessment(EAST)

    def submit(session: Session) -> None:
        submit_assessment(session, east.id, 3, None, NOW)

    await town.run(submit)

    assert await town.render(reminder, row.id, THREE_DAYS_BEFORE) is None


async def test_a_reminder_is_dropped_when_a_later_one_for_the_cycle_is_already_due(
    town: Town2026,
) -> None:
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=7)

    # The bot was down from the 7-day reminder until after the 3-day one fell due.
    assert await town.render(reminder, row.id, THREE_DAYS_BEFORE) is None
    assert await town.render(reminder, row.id, THREE_DAYS_BEFORE - timedelta(days=1)) is not None


async def test_a_reminder_is_dropped_after_the_deadline(town: Town2026) -> None:
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=0)

    assert await town.render(reminder, row.id, datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) is None


async def test_the_overdue_notice_tells_the_secretary_to_contact_the_town(town: Town2026) -> None:
    row = await planned(town, DeliveryKind.OVERDUE, 1001)

    message = await town.render(overdue, row.id, row.due_at)

    assert message is not None
    assert message.text.splitlines() == [
        "⚠️ 东村党支部：2026 年度自评已于 2026年12月31日 24:00 截止，"
        "本支部尚未申报（已答 2/38 项）。",
        "自评已锁定，不能再修改。如有特殊情况，请尽快联系镇党委。",
    ]


async def test_the_digest_counts_the_branches_names_those_behind_and_the_unreachable(
    town: Town2026,
) -> None:
    row = await planned(town, DeliveryKind.DIGEST, REVIEWER, days=3)

    def blocked(session: Session) -> None:
        # 1003's last message came back 403: blocked the bot.
        for claimed in claim_due_deliveries(session, datetime(2026, 12, 17, 2, 0, tzinfo=UTC), 10):
            if claimed.recipient_telegram_id == 1003:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id == claimed.id)
                    .values(state=DeliveryState.UNREACHABLE)
                )
            else:
                mark_sent(session, claimed.id, NOW)

    await town.run(blocked)
    message = await town.render(digest, row.id, THREE_DAYS_BEFORE)

    assert message is not None
    assert message.text.splitlines() == [
        "📊 城关镇 2026 年度评星定级进度（截止时间：2026年12月31日 24:00，还剩 3 天）",
        "已申报 1 个，退回修改 0 个，自评中 1 个，未开始 1 个，逾期未申报 0 个，书记未绑定 1 个"
        "（共 4 个党支部）",
        "尚未申报：",
        "· 东村党支部（自评中，已答 2 项）",
        "· 南村党支部（书记未绑定）",
        "· 镇机关党支部（未开始）",
        "无法送达（书记已屏蔽或停用机器人，请另行通知）：",
        "· 镇机关党支部",
    ]


async def test_the_digest_counts_a_submission_returned_for_revision_as_behind(
    town: Town2026,
) -> None:
    from storage.models import Assessment, AssessmentState

    row = await planned(town, DeliveryKind.DIGEST, REVIEWER, days=3)
    west = await town.assessment(WEST)
    assert west is not None

    def returned(session: Session) -> None:
        session.get_one(Assessment, west.id).state = AssessmentState.RETURNED

    await town.run(returned)
    message = await town.render(digest, row.id, THREE_DAYS_BEFORE)

    assert message is not None
    lines = message.text.splitlines()
    assert lines[1] == (
        "已申报 0 个，退回修改 1 个，自评中 1 个，未开始 1 个，逾期未申报 0 个，书记未绑定 1 个"
        "（共 4 个党支部）"
    )
    assert "· 西村党支部（已退回修改，待重新申报）" in lines


async def test_a_digest_is_not_sent_to_a_reviewer_whose_role_was_revoked(town: Town2026) -> None:
    from storage.models import Person, Role
    from storage.repositories.roles import revoke_role

    row = await planned(town, DeliveryKind.DIGEST, REVIEWER, days=3)

    def revoke(session: Session) -> None:
        reviewer = session.query(Person).filter_by(telegram_id=REVIEWER).one()
        delivery = session.get_one(Delivery, row.id)
        revoke_role(session, reviewer, Role.TOWN, delivery.payload["town_id"], NOW)

    await town.run(revoke)

    assert await town.render(digest, row.id, THREE_DAYS_BEFORE) is None


async def test_continuing_from_a_reminder_opens_the_card_where_the_secretary_stopped(
    town: Town2026,
) -> None:
    harness, user = town.harness, town.users[EAST]
    await harness.send(user, "/assess")
    await harness.press(user, "跳过 ➡")
    await harness.press(user, "跳过 ➡")
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=3)
    message = await town.render(reminder, row.id, THREE_DAYS_BEFORE)
    assert message is not None
    await town.send(1001, message)
    sent = harness.last(user)

    press = await harness.press(user, "继续自评", sent)

    shown = harness.message(user, sent.message_id).text or ""
    assert "第 3/38 项" in shown
    before = await snapshot(town.database)
    calls = len(harness.api.calls)
    await harness.deliver(harness.updates.re_deliver(press))
    assert await snapshot(town.database) == before
    # Only the press itself is answered (every callback query is, once); nothing is shown.
    again = harness.api.calls[calls:]
    assert [(call.method, call.params.get("text")) for call in again] == [
        ("answerCallbackQuery", None)
    ]


async def test_continuing_after_submitting_says_it_is_locked(town: Town2026) -> None:
    harness, user = town.harness, town.users[EAST]
    row = await planned(town, DeliveryKind.REMINDER, 1001, days=3)
    message = await town.render(reminder, row.id, THREE_DAYS_BEFORE)
    assert message is not None
    await town.send(1001, message)
    east = await town.assessment(EAST)

    def submit(session: Session) -> None:
        submit_assessment(session, east.id, 3, None, NOW)

    await town.run(submit)
    await harness.press(user, "继续自评", harness.last(user))

    assert harness.answers()[-1]["text"] == text("common.locked")
