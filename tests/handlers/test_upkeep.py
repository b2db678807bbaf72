"""Processed-update ids are forgotten once Telegram can no longer re-send their updates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.upkeep import PROCESSED_UPDATE_RETENTION, PRUNE_INTERVAL, PRUNE_JOB_NAME
from storage.models import ProcessedUpdate
from storage.repositories import mark_update_processed
from tests.handlers.conftest import Harness


def test_the_pruning_job_is_registered_once_at_start_up_under_its_name(bot: Harness) -> None:
    job_queue = bot.app.job_queue
    assert job_queue is not None

    jobs = job_queue.get_jobs_by_name(PRUNE_JOB_NAME)

    assert len(jobs) == 1
    assert jobs[0].trigger.interval == PRUNE_INTERVAL


async def test_the_pruning_job_forgets_ids_older_than_the_redelivery_window(bot: Harness) -> None:
    ages = {
        1: PROCESSED_UPDATE_RETENTION + timedelta(days=3),
        2: PROCESSED_UPDATE_RETENTION + timedelta(seconds=1),
        3: PROCESSED_UPDATE_RETENTION - timedelta(seconds=1),
        4: timedelta(0),
    }

    def mark_all(session: Session) -> None:
        for update_id, age in ages.items():
            mark_update_processed(session, update_id, bot.now - age)

    await bot.database.run(mark_all)
    assert bot.app.job_queue is not None
    job = bot.app.job_queue.get_jobs_by_name(PRUNE_JOB_NAME)[0]

    await job.run(bot.app)

    kept = await bot.database.run(
        lambda session: session.scalars(
            select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id)
        ).all()
    )
    assert kept == [3, 4]
