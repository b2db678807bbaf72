"""Upkeep the bot does on a schedule: forgetting update ids Telegram can no longer re-send."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.ext import JobQueue

from handlers.context import Context
from storage.repositories.updates import prune_processed_updates

__all__ = [
    "PROCESSED_UPDATE_RETENTION",
    "PRUNE_INTERVAL",
    "PRUNE_JOB_NAME",
    "prune_processed",
    "schedule_pruning",
]

logger = logging.getLogger(__name__)

# Telegram keeps an update it could not deliver for at most 24 hours (Bot API, "Getting
# updates"), so an id older than that is never re-sent and need not be remembered.
PROCESSED_UPDATE_RETENTION = timedelta(hours=24)
PRUNE_INTERVAL = timedelta(hours=1)
PRUNE_JOB_NAME = "prune_processed_updates"


async def prune_processed(context: Context) -> None:
    """Deletes the processed-update ids older than Telegram's redelivery window."""
    state = context.bot_data
    before = state.now() - PROCESSED_UPDATE_RETENTION
    removed = await state.require_database().run(
        lambda session: prune_processed_updates(session, before)
    )
    logger.info("forgot %d processed update ids from before %s", removed, before.isoformat())


def schedule_pruning(job_queue: JobQueue[Any]) -> None:
    """Registers the hourly pruning job; the first run is a minute after start-up."""
    job_queue.run_repeating(
        prune_processed, interval=PRUNE_INTERVAL, first=timedelta(minutes=1), name=PRUNE_JOB_NAME
    )
