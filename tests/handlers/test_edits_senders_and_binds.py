"""Edited messages, messages without a sender, and failed binds from many accounts."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update

from bot.offline import FakeUser
from handlers.binding import ALL_FAILED_ALLOWED, ALL_FAILED_WINDOW
from handlers.catalogue import text
from storage.models import Evidence, Person
from storage.repositories import secretary_branch
from tests.handlers.conftest import Harness


def edited(bot: Harness, original: Update, new_text: str) -> Update:
    """Telegram's update for the user editing `original` into `new_text`."""
    assert original.message is not None
    message: dict[str, Any] = original.message.to_dict()
    message.update(text=new_text, edit_date=message["date"] + 60)
    message.pop("entities", None)
    if new_text.startswith("/"):
        command = new_text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    data = {"update_id": 100_000 + original.update_id, "edited_message": message}
    return Update.de_json(data, bot.app.bot)


async def count(bot: Harness, model: type[Any]) -> int:
    rows = await bot.database.run(
        lambda session: session.scalar(select(func.count()).select_from(model))
    )
    return int(rows or 0)


async def test_an_edited_note_adds_no_second_note_and_the_secretary_is_told(
    bot: Harness, secretary: FakeUser
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    note = await bot.send(secretary, "每月开展主题党日")

    await bot.deliver(edited(bot, note, "每月开展主题党日，并有记录"))

    captions = await bot.database.run(
        lambda session: session.scalars(select(Evidence.caption)).all()
    )
    assert captions == ["每月开展主题党日"]
    assert bot.last(secretary).text == text("evidence.edit_ignored")


async def test_an_edited_start_command_never_binds_again(
    bot: Harness, secretary: FakeUser
) -> None:
    first = await bot.send(secretary, f"/start {bot.seed.codes['东村党支部']}")

    await bot.deliver(edited(bot, first, f"/start {bot.seed.codes['西村党支部']}"))

    branch = await bot.database.run(lambda session: secretary_branch(session, secretary.id))
    assert branch is not None and branch.name == "东村党支部"
    assert bot.last(secretary).text == text("evidence.edit_ignored")


async def test_a_private_message_without_a_sender_is_ignored_quietly(
    bot: Harness, secretary: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    update = bot.updates.message(secretary, f"/start {bot.seed.codes['东村党支部']}")
    data = update.to_dict()
    del data["message"]["from"]
    bot.api.reset_calls()

    with caplog.at_level(logging.WARNING):
        await bot.deliver(Update.de_json(data, bot.app.bot))

    assert bot.api.calls_to("sendMessage") == []
    assert [record.getMessage() for record in caplog.records] == []
    assert await count(bot, Person) == 0


async def test_failed_binds_from_many_accounts_leave_no_person_and_meet_a_global_cap(
    bot: Harness,
) -> None:
    for number in range(ALL_FAILED_ALLOWED):
        await bot.send(FakeUser(5000 + number, "路人"), f"/start {'A' * 22}")
    honest = FakeUser(6000, "李书记")
    code = bot.seed.codes["东村党支部"]

    await bot.send(honest, f"/start {code}")
    held_back = bot.last(honest).text
    people_after_failures = await count(bot, Person)
    bot.now += ALL_FAILED_WINDOW + timedelta(seconds=1)
    await bot.send(honest, f"/start {code}")

    minutes = int(ALL_FAILED_WINDOW.total_seconds() // 60)
    assert held_back == text("binding.slow_down", minutes=minutes)
    assert people_after_failures == 0
    assert bot.last(honest).text == text("binding.bound", branch="东村党支部", town="城关镇")
    assert await count(bot, Person) == 1
