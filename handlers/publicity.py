"""The end of the towns' publicity periods, on a schedule.

An hourly job closes every publicity whose period has ended (`close_due_publicities`): four
stars and below become `town_decided`, five-star branches `recommended`, and the town's
officers are owed a notice that the delivery sweep sends. The periods live in the database, so
a restart, a missed hour or a second process changes nothing: the next run closes what is due,
and a period is closed once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from handlers.context import Context
from storage.repositories.publicity import close_due_publicities

__all__ = ["CLOSE_INTERVAL", "CLOSE_JOB_NAME", "close_publicities", "schedule_publicity_closing"]

logger = logging.getLogger(__name__)

# A period ends at midnight Beijing time; an hour later at most, the county sees the list.
CLOSE_INTERVAL = timedelta(hours=1)
CLOSE_JOB_NAME = "close_publicities"


async def close_publicities(context: Context) -> None:
    """Closes the publicity periods that have ended (the repeating job)."""
    state = context.bot_data
    now = state.now()
    closed = await state.require_database().run(
        lambda session: close_due_publicities(session, now)
    )
    if closed:
        logger.info("closed %d publicity periods", closed)


def schedule_publicity_closing(job_queue: JobQueue[Any] | None) -> None:
    """Registers the hourly closing job; the first run is a minute after start-up."""
    if job_queue is None:
        raise RuntimeError("no JobQueue: install python-telegram-bot with the job-queue extra")
    job_queue.run_repeating(
        close_publicities, interval=CLOSE_INTERVAL, first=timedelta(minutes=1), name=CLOSE_JOB_NAME
    )
