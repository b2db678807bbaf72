"""Binding and the first answers, end to end through the real Application."""

from __future__ import annotations

from bot.offline import FakeUser
from handlers.catalogue import text
from tests.handlers.conftest import Harness


async def test_start_without_code_explains_how_to_bind(bot: Harness, secretary: FakeUser) -> None:
    await bot.send(secretary, "/start")

    assert bot.last(secretary).text == text("binding.how_to_bind")


async def test_invite_binds_and_assess_shows_first_item(bot: Harness, secretary: FakeUser) -> None:
    await bot.bind(secretary)
    bound = bot.last(secretary).text
    await bot.send(secretary, "/assess")
    card = bot.last(secretary)

    assert bound == text("binding.bound", branch="东村党支部", town="城关镇")
    assert "第 1/38 项 · 班子建设" in (card.text or "")


async def test_answering_moves_to_next_item(bot: Harness, secretary: FakeUser) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    await bot.press(secretary, "完全做到")
    card = bot.last(secretary)

    assert "第 2/38 项" in (card.text or "")
    assert "已得 4 / 100 分（已答 1/38 项）" in (card.text or "")
