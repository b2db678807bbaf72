"""/start with and without an invite code."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.offline import FakeUser
from handlers.binding import FAILED_ATTEMPTS_ALLOWED
from handlers.catalogue import text
from storage.models import RoleGrant
from storage.repositories import create_invite
from tests.handlers.conftest import NOW, Harness

INTRUDER = FakeUser(1066, "王某")


async def secretaries(bot: Harness) -> int:
    count = await bot.database.run(
        lambda session: session.scalar(select(func.count()).select_from(RoleGrant))
    )
    return int(count or 0)


async def expired_code(bot: Harness) -> str:
    branch_id = bot.seed.branches["东村党支部"]
    return await bot.database.run(
        lambda session: create_invite(session, branch_id, NOW - timedelta(days=1), NOW)
    )


@pytest.mark.parametrize("kind", ["unknown", "expired", "used"])
async def test_unknown_expired_and_used_codes_get_the_same_refusal(
    bot: Harness, secretary: FakeUser, kind: str
) -> None:
    if kind == "unknown":
        code = "A" * 22
    elif kind == "expired":
        code = await expired_code(bot)
    else:
        code = bot.seed.codes["东村党支部"]
        await bot.send(secretary, f"/start {code}")
    await bot.send(INTRUDER, f"/start {code}")

    assert bot.last(INTRUDER).text == text("binding.refused")
    assert await secretaries(bot) == (1 if kind == "used" else 0)


async def test_a_re_sent_code_by_the_same_person_is_a_friendly_no_op(
    bot: Harness, secretary: FakeUser
) -> None:
    await bot.bind(secretary)
    await bot.bind(secretary)

    assert bot.last(secretary).text == text("binding.already_bound", branch="东村党支部")
    assert await secretaries(bot) == 1


async def test_repeated_wrong_guesses_are_slowed_down(bot: Harness) -> None:
    for guess in range(FAILED_ATTEMPTS_ALLOWED):
        await bot.send(INTRUDER, f"/start {'B' * 21}{guess}")
    await bot.send(INTRUDER, f"/start {bot.seed.codes['东村党支部']}")

    assert bot.last(INTRUDER).text == text("binding.slow_down", minutes=15)
    assert await secretaries(bot) == 0


async def test_the_slowdown_ends_after_the_window(bot: Harness) -> None:
    for guess in range(FAILED_ATTEMPTS_ALLOWED):
        await bot.send(INTRUDER, f"/start {'B' * 21}{guess}")
    bot.now = NOW + timedelta(minutes=16)
    await bot.send(INTRUDER, f"/start {bot.seed.codes['东村党支部']}")

    assert bot.last(INTRUDER).text == text("binding.bound", branch="东村党支部", town="城关镇")


async def test_two_people_pressing_one_invite_at_once_bind_exactly_one(bot: Harness) -> None:
    code = bot.seed.codes["东村党支部"]
    people = [FakeUser(2001, "甲"), FakeUser(2002, "乙")]
    updates = [bot.updates.message(person, f"/start {code}") for person in people]
    processor = bot.app.update_processor
    await asyncio.gather(
        *(processor.process_update(u, bot.app.process_update(u)) for u in updates)
    )
    replies = sorted(bot.last(person).text or "" for person in people)

    assert await secretaries(bot) == 1
    assert replies == sorted(
        [text("binding.bound", branch="东村党支部", town="城关镇"), text("binding.refused")]
    )


async def test_start_when_bound_welcomes_back(bot: Harness, secretary: FakeUser) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/start")

    assert bot.last(secretary).text == text(
        "binding.welcome_back", branch="东村党支部", town="城关镇"
    )


async def test_commands_of_an_unbound_user_explain_binding(bot: Harness) -> None:
    await bot.send(INTRUDER, "/assess")
    assessed = bot.last(INTRUDER).text
    await bot.send(INTRUDER, "/status")

    assert assessed == text("common.not_bound")
    assert bot.last(INTRUDER).text == text("common.not_bound")
