"""Submission (申报): the declared level is confirmed, with a plain warning when out of reach."""

from __future__ import annotations

from sqlalchemy import select

from bot.offline import FakeUser
from storage.models import Assessment
from tests.handlers.conftest import Harness

RURAL_ITEMS = 38
CONFIRMATION = "确认申报「{label}」？\n申报后自评将锁定，不能再修改，除非镇党委退回。"


async def answer_every_item_in_full(bot: Harness, user: FakeUser) -> None:
    await bot.bind(user)
    await bot.send(user, "/assess")
    for _ in range(RURAL_ITEMS):
        await bot.press(user, "完全做到")


async def declare(bot: Harness, user: FakeUser, level: str) -> str:
    """Presses 申报 and the level; returns the confirmation screen's text."""
    await bot.press(user, "📮 申报")
    await bot.press(user, level)
    return bot.card(user).text or ""


async def stored_declaration(bot: Harness) -> tuple[str, int | None]:
    assessment = await bot.database.run(lambda session: session.scalar(select(Assessment)))
    assert assessment is not None
    return assessment.state, assessment.declared_stars


async def test_a_level_within_reach_is_confirmed_without_a_warning(
    bot: Harness, secretary: FakeUser
) -> None:
    await answer_every_item_in_full(bot, secretary)

    assert await declare(bot, secretary, "五星级") == CONFIRMATION.format(label="五星级")


async def test_a_level_out_of_reach_is_declared_only_after_a_plain_warning(
    bot: Harness, secretary: FakeUser
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    await bot.press(secretary, "完全做到")
    confirmation = await declare(bot, secretary, "三星级")
    await bot.press(secretary, "确认申报")

    assert confirmation == (
        "⚠ 提醒：按目前的自评和申报的加减分预估，即使评议得分为满分，总分也达不到三星级。\n"
        "请实事求是申报。确认仍申报「三星级」？\n"
        "申报后自评将锁定，不能再修改，除非镇党委退回。"
    )
    assert await stored_declaration(bot) == ("submitted", 3)


async def test_five_stars_with_a_declared_deduction_warns_that_a_gate_blocks_it(
    bot: Harness, secretary: FakeUser
) -> None:
    await answer_every_item_in_full(bot, secretary)
    await bot.press(secretary, "➕➖ 加分/减分")
    await bot.press(secretary, "减分：造成重大失误、重大损失或出现重大舆情、群体性事件")
    await bot.send(secretary, "2026年发生一起舆情事件")
    await bot.press(secretary, "↩ 返回当前项")
    five_stars = await declare(bot, secretary, "五星级")
    await bot.press(secretary, "返回")
    await bot.press(secretary, "一星级")
    one_star = bot.card(secretary).text

    assert five_stars.splitlines()[0] == (
        "⚠ 提醒：按目前的自评和申报的加减分，"
        "本支部存在不得评定为五星级的情形（原因见「📊 小结」）。"
    )
    assert one_star == CONFIRMATION.format(label="一星级")
