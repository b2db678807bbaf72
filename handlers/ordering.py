"""Update ordering: one user's updates are processed one at a time, in arrival order.

PTB's concurrent mode would otherwise let a fast double tap race itself (two levels of one item
written at once). Different users still run in parallel, which is what keeps many secretaries
answering at the same time responsive.

Each user has a fair share: PTB starts a task per update, and every task holds one of the
processor's concurrency slots while it waits for its user's lock, so one user flooding thousands
of updates would fill the slots and queue everyone else behind the flood. A user's updates
beyond `MAX_QUEUED_PER_USER` waiting or running are dropped at once, releasing their slots, and
the user is told once that they are going too fast.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from handlers.catalogue import text

__all__ = ["MAX_QUEUED_PER_USER", "PerUserUpdateProcessor"]

logger = logging.getLogger(__name__)

# A person sends an album of up to 10 photos at once (Bot API, sendMediaGroup's limit), so 20
# leaves room for an album and a few taps besides; no one types or taps faster than that.
MAX_QUEUED_PER_USER = 20


class _UserLock:
    """An `asyncio.Lock` plus how many updates hold or wait for it, so idle locks can go.

    `warned` says the user was told they go too fast, once until their queue empties.
    """

    __slots__ = ("lock", "users", "warned")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0
        self.warned = False


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Processes updates concurrently, but serialises those of one user (or chat without user).

    `asyncio.Lock` wakes waiters first-in first-out, and PTB starts one task per update in the
    order they were fetched, so one user's presses are handled in the order they arrived.
    """

    __slots__ = ("_locks", "max_queued_per_user")

    def __init__(
        self, max_concurrent_updates: int = 256, max_queued_per_user: int = MAX_QUEUED_PER_USER
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.max_queued_per_user = max_queued_per_user
        self._locks: dict[int, _UserLock] = {}

    @staticmethod
    def ordering_key(update: object) -> int | None:
        """Returns the id whose updates must not overlap: the user, else the chat, else none."""
        if not isinstance(update, Update):
            return None
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Awaits `coroutine` while holding the lock of the update's user."""
        key = self.ordering_key(update)
        if key is None:
            await coroutine
            return
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _UserLock()
        if entry.users >= self.max_queued_per_user:
            _drop(coroutine)
            if not entry.warned:
                entry.warned = True
                await _say_too_fast(update)
            return
        entry.users += 1
        try:
            async with entry.lock:
                await coroutine
        finally:
            entry.users -= 1
            # Forget idle users, so the table does not grow with every user ever seen.
            if entry.users == 0:
                del self._locks[key]

    @property
    def tracked_users(self) -> int:
        """How many users currently have an update running or waiting."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to allocate: locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to free: locks die with their last waiter."""


def _drop(coroutine: Awaitable[Any]) -> None:
    """Discards an update's processing without running it (closing it, so it is not leaked)."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


async def _say_too_fast(update: object) -> None:
    """Tells the user some of their updates were dropped: a toast for a press, else a message."""
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text("common.too_fast"), show_alert=True)
        elif update.effective_chat is not None:
            await update.get_bot().send_message(update.effective_chat.id, text("common.too_fast"))
    except TelegramError as error:
        logger.warning("could not tell update %s's user to slow down: %s", update.update_id, error)
