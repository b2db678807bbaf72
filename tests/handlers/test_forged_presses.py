"""Forged, malformed and out-of-place button presses change nothing and get a plain refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.offline import FakeUser
from handlers.callbacks import decode
from handlers.catalogue import text
from storage.models import Cycle, CycleState
from tests.handlers.conftest import Harness, snapshot

OTHER = FakeUser(1002, "李书记")


async def assessing(bot: Harness, user: FakeUser, branch: str = "东村党支部") -> tuple[int, str]:
    """Binds `user`, opens the card, and returns the card's assessment id and marker."""
    await bot.bind(user, branch)
    await bot.send(user, "/assess")
    data = decode(bot.card(user).callback_data("完全做到"))
    return data.assessment_id, data.marker


def last_toast(bot: Harness) -> str | None:
    return bot.answers()[-1].get("text")


@pytest.mark.parametrize(
    ("forge", "why"),
    [
        (lambda ident, marker: f"a:{ident}:{marker}:1:excellent", "level that does not exist"),
        (lambda ident, marker: f"a:{ident}:{marker}:2:full", "item the card does not show"),
        (lambda ident, marker: f"g:{ident}:{marker}:999", "item outside the rubric"),
        (lambda ident, marker: f"g:{ident}:{marker}:0", "item number zero"),
        (lambda ident, marker: f"r:{ident}:{marker}:not_an_area", "area outside the rubric"),
        (lambda ident, marker: f"d:{ident}:{marker}:9", "star level outside the rubric"),
        (lambda ident, marker: f"f:{ident}:{marker}:6", "confirming a level that does not exist"),
        (lambda ident, marker: f"b:{ident}:{marker}:lottery", "bonus kind outside the rubric"),
        (lambda ident, marker: f"o:{ident}:{marker}:other:7", "bonus points not offered"),
        (lambda ident, marker: f"o:{ident}:{marker}:other:99", "bonus points over the cap"),
        (lambda ident, marker: f"x:{ident}:{marker}:jaywalking", "deduction kind outside rubric"),
        (lambda ident, marker: f"a:{ident}:{marker}:1", "answer without a level"),
        (lambda ident, marker: "a:1", "malformed"),
        (lambda ident, marker: "hello", "unknown kind"),
        (lambda ident, marker: f"a:{ident}:{marker}:1:" + "f" * 60, "over-long"),
        (lambda ident, marker: f"a:{ident}:{marker}:1:full' OR '1'='1", "injected SQL"),
        (lambda ident, marker: f"a:{ident};DROP TABLE answer;--:{marker}:1:full", "SQL in the id"),
        (lambda ident, marker: f"a:{ident}:{marker}:１:full", "non-ASCII digits"),
    ],
)
async def test_forged_button_data_changes_nothing_and_is_refused(
    bot: Harness, secretary: FakeUser, forge: object, why: str
) -> None:
    ident, marker = await assessing(bot, secretary)
    before = await snapshot(bot.database)
    await bot.press_data(secretary, forge(ident, marker))  # type: ignore[operator]

    assert await snapshot(bot.database) == before, why
    assert last_toast(bot) == text("common.refused"), why


async def test_another_branchs_assessment_cannot_be_answered(
    bot: Harness, secretary: FakeUser
) -> None:
    await assessing(bot, secretary)
    other_ident, other_marker = await assessing(bot, OTHER, "西村党支部")
    before = await snapshot(bot.database)
    await bot.press_data(secretary, f"a:{other_ident}:{other_marker}:1:full")

    assert await snapshot(bot.database) == before
    assert last_toast(bot) == text("common.refused")


async def test_an_unbound_user_is_told_to_bind(bot: Harness, secretary: FakeUser) -> None:
    ident, marker = await assessing(bot, secretary)
    stranger = FakeUser(1999, "路人")
    before = await snapshot(bot.database)
    await bot.press_data(stranger, f"a:{ident}:{marker}:1:full", bot.card(secretary))

    assert await snapshot(bot.database) == before
    assert last_toast(bot) == text("common.not_bound")


async def test_a_closed_cycle_refuses_answers(bot: Harness, secretary: FakeUser) -> None:
    await assessing(bot, secretary)
    await bot.database.run(
        lambda session: session.execute(update(Cycle).values(state=CycleState.CLOSED))
    )
    before = await snapshot(bot.database)
    await bot.press(secretary, "完全做到")

    assert await snapshot(bot.database) == before
    assert last_toast(bot) == text("common.cycle_closed")


async def test_a_submitted_assessment_refuses_changes(bot: Harness, secretary: FakeUser) -> None:
    await assessing(bot, secretary)
    card = bot.card(secretary)
    answer_data = card.callback_data("完全做到")
    await bot.press(secretary, "📮 申报")
    await bot.press(secretary, "三星级")
    await bot.press(secretary, "确认申报")
    before = await snapshot(bot.database)
    await bot.press_data(secretary, answer_data, card)
    await bot.send(secretary, "补充一条说明")
    refused_note = bot.last(secretary).text
    await bot.send(secretary, "/assess")

    assert await snapshot(bot.database) == before
    assert last_toast(bot) == text("common.locked")
    assert refused_note == text("common.locked")
    assert bot.last(secretary).text == text("common.locked")
