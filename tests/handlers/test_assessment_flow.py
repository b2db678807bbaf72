"""The secretary's whole conversation through the real Application and the strict fake."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from bot.offline import FakeBotApi, FakeUser
from handlers.catalogue import text
from storage.database import create_database
from storage.models import Answer, Assessment, AssessmentState
from tests.handlers.conftest import NOW, Harness, seed_county, snapshot, start_harness

TOTAL_ITEMS = 38  # rural items of the default rubric


def card_number(harness: Harness, user: FakeUser) -> int:
    """The item number ("第 n/38 项") the newest card shows."""
    found = re.search(r"第 (\d+)/\d+ 项", harness.card(user).text or "")
    assert found is not None, harness.card(user).text
    return int(found.group(1))


async def answers_count(harness: Harness) -> int:
    count = await harness.database.run(
        lambda session: session.scalar(select(func.count()).select_from(Answer))
    )
    return int(count or 0)


async def start_assessing(harness: Harness, user: FakeUser) -> None:
    await harness.bind(user)
    await harness.send(user, "/assess")


async def test_whole_assessment_from_invite_to_submit(bot: Harness, secretary: FakeUser) -> None:
    await start_assessing(bot, secretary)
    for _ in range(TOTAL_ITEMS):
        await bot.press(secretary, "完全做到")
    await bot.send(secretary, "支部学习记录见会议记录本第3页")
    await bot.press(secretary, "📊 小结")
    summary_sent = bot.api.calls_to("sendPhoto")
    card = bot.card(secretary)
    await bot.press(secretary, "📮 申报", card)
    await bot.press(secretary, "五星级", card)
    await bot.press(secretary, "确认申报", card)

    assessment = await bot.database.run(lambda session: session.scalar(select(Assessment)))
    assert assessment is not None
    assert (assessment.state, assessment.declared_stars) == (AssessmentState.SUBMITTED, 5)
    assert await answers_count(bot) == TOTAL_ITEMS
    assert len(summary_sent) == 1
    assert bot.message(secretary, card.message_id).text == text("submit.submitted", label="五星级")


async def test_restart_in_the_middle_continues_at_the_same_item(
    sqlite_url: str, secretary: FakeUser
) -> None:
    database = create_database(sqlite_url)
    seed = await seed_county(database)
    first = await start_harness(database, seed, FakeBotApi())
    await start_assessing(first, secretary)
    for level in (
        "完全做到",
        "基本做到",
        "未做到",
        "完全做到",
        "完全做到",
        "基本做到",
        "完全做到",
    ):
        await first.press(secretary, level)
    before = await snapshot(database)
    # The old process dies without shutting anything down; a new one opens the same file.
    database_after = create_database(sqlite_url)
    try:
        second = await start_harness(database_after, seed, FakeBotApi())
        second.updates._next_update_id = 10_000
        await second.send(secretary, "/assess")
        after = await snapshot(database_after)

        assert card_number(second, secretary) == 8
        assert after == before
        assert "已答 7/38 项" in (second.last(secretary).text or "")
        await second.app.shutdown()
    finally:
        await database_after.dispose()
        await database.dispose()


async def test_the_same_update_delivered_twice_records_one_answer(
    bot: Harness, secretary: FakeUser
) -> None:
    await start_assessing(bot, secretary)
    press = await bot.press(secretary, "完全做到")
    before = await snapshot(bot.database)
    await bot.deliver(bot.updates.re_deliver(press))

    assert await snapshot(bot.database) == before
    assert await answers_count(bot) == 1


async def test_a_double_tap_on_two_levels_leaves_one_answer(
    bot: Harness, secretary: FakeUser
) -> None:
    await start_assessing(bot, secretary)
    card = bot.last(secretary)
    full = bot.updates.press_button(secretary, card, "完全做到")
    none = bot.updates.press_button(secretary, card, "未做到")
    await bot.deliver(full)
    await bot.deliver(none)

    levels = await bot.database.run(
        lambda session: session.scalars(select(Answer.level_key)).all()
    )
    assert levels == ["full"]
    assert bot.answers()[-1].get("text") == text("common.stale_button")
    assert card_number(bot, secretary) == 2


async def test_a_stale_keyboard_shows_the_current_item_again(
    bot: Harness, secretary: FakeUser
) -> None:
    await start_assessing(bot, secretary)
    old_card = bot.last(secretary)
    old_data = old_card.callback_data("跳过 ➡")
    await bot.press(secretary, "完全做到")
    await bot.press(secretary, "完全做到")
    await bot.press_data(secretary, old_data)

    assert bot.answers()[-1].get("text") == text("common.stale_button")
    assert card_number(bot, secretary) == 3


async def test_previous_skip_and_contents_move_the_card(bot: Harness, secretary: FakeUser) -> None:
    await start_assessing(bot, secretary)
    await bot.press(secretary, "跳过 ➡")
    await bot.press(secretary, "跳过 ➡")
    after_skips = card_number(bot, secretary)
    await bot.press(secretary, "⬅ 上一项")
    after_previous = card_number(bot, secretary)
    await bot.press(secretary, "📋 目录")
    contents = bot.last(secretary)
    area_label = next(b.text for b in contents.buttons if b.text.startswith("党员管理"))
    await bot.press(secretary, area_label)
    first_member_item = bot.last(secretary).buttons[0].text
    await bot.press(secretary, first_member_item)

    assert (after_skips, after_previous) == (3, 2)
    assert "· 党员管理" in (bot.last(secretary).text or "")
    assert first_member_item.startswith("○ ")


async def test_every_callback_query_is_answered(bot: Harness, secretary: FakeUser) -> None:
    await start_assessing(bot, secretary)
    for label in ("完全做到", "跳过 ➡", "📋 目录"):
        await bot.press(secretary, label)
    queries = [call for call in bot.api.calls if call.method == "answerCallbackQuery"]

    assert len(queries) == 3


async def test_status_shows_deadline_in_local_time_and_progress(
    bot: Harness, secretary: FakeUser
) -> None:
    await start_assessing(bot, secretary)
    await bot.press(secretary, "完全做到")
    await bot.send(secretary, "/status")
    status: Any = bot.last(secretary).text

    assert "截止时间：2026年12月31日 23:59（还剩 30 天）" in status
    assert "已答 1/38 项" in status
    assert text("status.state.in_progress") in status


async def test_status_names_the_level_a_recommendation_is_for(
    bot: Harness, secretary: FakeUser
) -> None:
    await start_assessing(bot, secretary)
    await bot.press(secretary, "📮 申报")
    await bot.press(secretary, "五星级")
    await bot.press(secretary, "确认申报")

    def recommend(session: Any) -> None:
        session.scalar(select(Assessment)).state = AssessmentState.RECOMMENDED

    await bot.database.run(recommend)
    await bot.send(secretary, "/status")

    assert bot.last(secretary).text.splitlines()[-1] == (
        "状态：已推荐为五星级，待县级复核，申报等次：五星级"
    )


async def test_status_of_a_named_branch_names_its_final_level(
    bot: Harness, secretary: FakeUser
) -> None:
    from storage.repositories.results import name_assessment

    await start_assessing(bot, secretary)
    await bot.press(secretary, "📮 申报")
    await bot.press(secretary, "五星级")
    await bot.press(secretary, "确认申报")

    def name_four_stars(session: Any) -> None:
        name_assessment(session, session.scalar(select(Assessment)), 4, NOW)

    await bot.database.run(name_four_stars)
    await bot.send(secretary, "/status")

    assert bot.last(secretary).text.splitlines()[-1] == (
        "状态：已命名为四星级党支部，申报等次：五星级"
    )
