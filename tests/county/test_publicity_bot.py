"""/publicity, /objection, /resolve and /name: the town's officer runs publicity and naming.

The town (see `test_county_bot`) is finalised with 东村 at five stars and 西村 and 镇机关 at
four. The bot's clock is Tuesday 2026-12-01, so five working days end on Monday 2026-12-07.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.offline import FakeUser
from handlers.catalogue import text
from handlers.sweep import SWEEP_JOB_NAME
from storage.models import Assessment, Objection, Publicity
from storage.repositories.publicity import close_due_publicities
from tests.county.test_county_bot import COUNTY_OFFICER, TOWN_OFFICER, recommend
from tests.handlers.conftest import Harness

CONTACT = "/publicity 镇党建办 0710-1234567"
WEST_SECRETARY = FakeUser(7101, "西村书记")


def _said(bot: Harness, user: FakeUser) -> str | None:
    return bot.api.chat_messages(user.id)[-1].text


async def _states(bot: Harness) -> list[str]:
    return await bot.database.run(lambda s: sorted(s.scalars(select(Assessment.state)).all()))


async def test_the_town_officer_runs_publicity_objections_and_naming(bot: Harness) -> None:
    await bot.bind(WEST_SECRETARY, "西村党支部")
    await bot.database.run(recommend(bot, publicize=False))

    await bot.send(TOWN_OFFICER, CONTACT)
    assert _said(bot, TOWN_OFFICER) == text(
        "county.publicity.opened",
        town="城关镇",
        start="2026-12-01",
        end="2026-12-07",
        days=5,
        calendars="2026年按国家法定节假日安排计算",
    )
    await bot.send(TOWN_OFFICER, "/objection 西村党支部 党员张某 会议记录不全")
    assert _said(bot, TOWN_OFFICER) == text(
        "county.objection.recorded", number=1, branch="西村党支部"
    )
    await bot.send(TOWN_OFFICER, "/name")
    assert _said(bot, TOWN_OFFICER) == text("county.naming.not_yet")
    await bot.send(TOWN_OFFICER, "/resolve 1 不成立 经核实记录齐全")
    assert _said(bot, TOWN_OFFICER) == text("county.objection.dismissed", number=1)

    closed = await bot.database.run(
        lambda s: close_due_publicities(s, datetime(2026, 12, 7, 16, 0, tzinfo=UTC))
    )
    assert closed == 1
    await bot.send(TOWN_OFFICER, "/name")

    assert _said(bot, TOWN_OFFICER) == text(
        "county.naming.done",
        town="城关镇",
        named=2,
        held=text(
            "county.naming.held",
            branch="东村党支部",
            why=text("county.naming.why.awaiting_county"),
        ),
        closed=text("county.naming.open"),
    )
    assert await _states(bot) == ["named", "named", "recommended"]
    outcome = await bot.database.run(lambda s: s.scalar(select(Objection.outcome)))
    assert outcome == "dismissed"
    # The secretary of a named branch hears the result when the sweep runs.
    assert bot.app.job_queue is not None
    (sweep,) = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB_NAME)
    await sweep.run(bot.app)
    told = _said(bot, WEST_SECRETARY) or ""
    assert ("西村党支部" in told, "四星级" in told, "98.5" in told) == (True, True, True)


async def test_a_period_reaching_an_unknown_year_is_refused_and_nothing_opens(
    bot: Harness,
) -> None:
    await bot.database.run(recommend(bot, publicize=False))
    bot.now = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)

    await bot.send(TOWN_OFFICER, CONTACT)

    assert _said(bot, TOWN_OFFICER) == text("county.publicity.calendar_unknown")
    opened = await bot.database.run(lambda s: s.scalar(select(Publicity.id)))
    assert opened is None


@pytest.mark.parametrize(
    "command", [CONTACT, "/objection 西村党支部 张某 不实", "/resolve 1 成立 属实", "/name"]
)
async def test_the_town_commands_are_refused_to_a_county_officer(
    bot: Harness, command: str
) -> None:
    await bot.database.run(recommend(bot, publicize=False))

    await bot.send(COUNTY_OFFICER, command)

    assert _said(bot, COUNTY_OFFICER) == text("review.not_reviewer")
    opened = await bot.database.run(lambda s: s.scalar(select(Publicity.id)))
    assert opened is None


async def test_bad_objection_commands_say_how_and_record_nothing(bot: Harness) -> None:
    await bot.database.run(recommend(bot, publicize=False))
    await bot.send(TOWN_OFFICER, "/objection 西村党支部 张某 公示前")
    not_open = _said(bot, TOWN_OFFICER)
    await bot.send(TOWN_OFFICER, CONTACT)

    replies = []
    for command in (
        "/objection 南村党支部 张某 不实",
        "/objection 西村党支部",
        "/resolve 7 成立 x",
        "/resolve 1 也许 x",
    ):
        await bot.send(TOWN_OFFICER, command)
        replies.append(_said(bot, TOWN_OFFICER))

    assert not_open == text("county.objection.not_now")
    assert replies == [
        text("county.objection.usage"),
        text("county.objection.usage"),
        text("county.objection.unknown", number=7),
        text("county.objection.resolve_usage"),
    ]
    count = await bot.database.run(lambda s: len(s.scalars(select(Objection)).all()))
    assert count == 0
