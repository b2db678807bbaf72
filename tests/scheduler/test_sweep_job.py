"""The sweep is one repeating job, registered when the Application is built."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.app import build_application
from bot.settings import Settings
from handlers.sweep import SWEEP_JOB_NAME
from storage.database import Database
from tests.scheduler.conftest import RENDERERS, FakeClock, Outbox, make_api


def settings(**values: object) -> Settings:
    """Settings that never read the developer's `.env`."""
    return Settings(_env_file=None, bot_token=None, **values)  # type: ignore[call-arg]


async def test_the_sweep_job_is_registered_once_with_its_interval(database: Database) -> None:
    app = build_application(
        settings(sweep_seconds=45), request=make_api(FakeClock()), database=database
    )
    jobs = app.job_queue.get_jobs_by_name(SWEEP_JOB_NAME)  # type: ignore[union-attr]
    assert [job.job.trigger.interval for job in jobs] == [timedelta(seconds=45)]


async def test_running_the_job_sends_what_is_due_and_a_busy_sweep_is_not_doubled(
    database: Database, clock: FakeClock
) -> None:
    api = make_api(clock, enforce_limits=True)
    app = build_application(settings(send_rate=20), request=api, database=database)
    await app.initialize()
    try:
        state = app.bot_data
        state.now = clock.now
        state.delivery_renderers = dict(RENDERERS)
        state.send_pacer.clock, state.send_pacer.sleep = clock.monotonic, clock.sleep
        outbox = Outbox(database, clock, api, app.bot)
        await outbox.owe(range(1, 31))
        (job,) = app.job_queue.get_jobs_by_name(SWEEP_JOB_NAME)  # type: ignore[union-attr]
        first = asyncio.create_task(job.run(app))
        while not state.sweep_lock.locked():
            await asyncio.sleep(0)
        await job.run(app)
        second_returned_while_first_ran = not first.done()
        await first
    finally:
        await app.shutdown()

    assert sorted(outbox.sent_to()) == list(range(1, 31))
    assert state.send_pacer.rate == 20
    assert second_returned_while_first_ran
    assert clock.monotonic() == pytest.approx(29 / 20)
    api.assert_no_violations()


def test_a_send_rate_above_telegrams_limit_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        settings(send_rate=31)
    assert [(e["loc"], e["msg"]) for e in refused.value.errors()] == [
        (("send_rate",), "Input should be less than or equal to 30")
    ]
