"""The hourly job ends publicity periods once, across restarts, and the county then decides."""

from __future__ import annotations

from sqlalchemy import select

from bot.offline import FakeBotApi
from handlers.publicity import CLOSE_INTERVAL, CLOSE_JOB_NAME
from storage.database import create_database
from storage.models import Assessment, AuditEntry, Publicity
from tests.county.test_county_bot import COUNTY_OFFICER, recommend
from tests.handlers.conftest import Harness, seed_county, start_harness


def test_the_closing_job_is_registered_once_at_start_up_under_its_name(bot: Harness) -> None:
    assert bot.app.job_queue is not None

    jobs = bot.app.job_queue.get_jobs_by_name(CLOSE_JOB_NAME)

    assert len(jobs) == 1
    assert jobs[0].trigger.interval == CLOSE_INTERVAL


async def _run_job(bot: Harness) -> None:
    assert bot.app.job_queue is not None
    await bot.app.job_queue.get_jobs_by_name(CLOSE_JOB_NAME)[0].run(bot.app)


async def test_a_restart_before_the_job_loses_nothing_and_the_period_closes_once(
    sqlite_url: str,
) -> None:
    database = create_database(sqlite_url)
    seed = await seed_county(database)
    first = await start_harness(database, seed, FakeBotApi())
    assessment_id = await first.database.run(recommend(first, close=False))
    await first.app.shutdown()
    # The process dies with the period over but not yet closed; a new one opens the same file.
    second = await start_harness(create_database(sqlite_url), seed, FakeBotApi())
    try:
        await _run_job(second)
        await _run_job(second)

        def read(session):  # type: ignore[no-untyped-def]
            closes = session.scalars(
                select(AuditEntry.entity_id).where(AuditEntry.action == "publicity.close")
            ).all()
            closed_at = session.scalar(select(Publicity.closed_at))
            return session.get(Assessment, assessment_id).state, len(closes), closed_at

        state, closes, closed_at = await second.database.run(read)
        assert (state, closes, closed_at) == ("recommended", 3, second.now)

        await second.send(COUNTY_OFFICER, "/county")
        assert "待复核 1" in (second.card(COUNTY_OFFICER).text or "")
    finally:
        await second.app.shutdown()
        await second.database.dispose()
