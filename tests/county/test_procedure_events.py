"""Towns and secretaries hear of publicity's end, the county's decision and a correction."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.app import delivery_renderers
from bot.offline import FakeUser
from handlers.catalogue import text
from handlers.procedure_events import render_procedure_event
from handlers.sweep import SWEEP_JOB_NAME
from storage.models import County, DeliveryKind, Town
from storage.repositories.county import county_branch
from storage.repositories.spot_check import draw_spot_check, record_check
from tests.county.test_county_bot import COUNTY_OFFICER, TOWN_OFFICER, open_east, recommend
from tests.handlers.conftest import Harness

WEST_SECRETARY = FakeUser(7101, "西村书记")
ORGAN_SECRETARY = FakeUser(7102, "机关书记")


async def _sweep(bot: Harness) -> None:
    assert bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB_NAME)
    await job.run(bot.app)


def _texts(bot: Harness, user: FakeUser) -> list[str | None]:
    return [message.text for message in bot.api.chat_messages(user.id)]


def test_the_bot_sends_procedure_events_with_this_renderer() -> None:
    renderers = delivery_renderers(ZoneInfo("Asia/Shanghai"))

    assert renderers[DeliveryKind.PROCEDURE_EVENT] is render_procedure_event


async def test_the_town_hears_the_end_of_publicity_and_only_the_countys_last_decision(
    bot: Harness,
) -> None:
    await bot.database.run(recommend(bot))
    await open_east(bot)
    await bot.send(COUNTY_OFFICER, "/opinion discipline 无违纪违法问题")
    await bot.send(COUNTY_OFFICER, "/approve 复核属实")
    await bot.send(COUNTY_OFFICER, "/reject 台账不全")

    await _sweep(bot)

    assert _texts(bot, TOWN_OFFICER) == [
        text("county.event.publicity_closed", town="城关镇", year=2026, decided=2, recommended=1),
        text("county.event.rejected", branch="东村党支部", reason="台账不全"),
    ]


async def test_a_corrected_level_is_told_to_that_branchs_secretary(bot: Harness) -> None:
    await bot.bind(WEST_SECRETARY, "西村党支部")
    await bot.bind(ORGAN_SECRETARY, "镇机关党支部")
    await bot.database.run(recommend(bot))

    def correct(session: Session) -> str:
        county = session.get_one(County, session.get_one(Town, bot.seed.town_id).county_id)
        drawn = draw_spot_check(session, county, 2026, 5, None, bot.now)
        (checked,) = drawn.samples[4]
        found = county_branch(session, county, 2026, None, checked.branch.name)
        record_check(session, county, found, 3, "组织生活记录缺失", None, bot.now)
        return checked.branch.name

    corrected = await bot.database.run(correct)
    await _sweep(bot)

    told = text(
        "county.event.corrected",
        branch=corrected,
        drawn="四星级",
        corrected="三星级",
        reason="组织生活记录缺失",
    )
    secretary, other = (
        (WEST_SECRETARY, ORGAN_SECRETARY)
        if corrected == "西村党支部"
        else (ORGAN_SECRETARY, WEST_SECRETARY)
    )
    assert _texts(bot, secretary)[-1] == told
    assert told not in _texts(bot, other)
