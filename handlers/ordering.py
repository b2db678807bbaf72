"""Update ordering: one user's updates are processed one at a time, in arrival order.

PTB's concurrent mode would otherwise let a fast double tap race itself (two levels of one item
written at once). Different users still run in parallel, which is what keeps many secretaries
answering at the same time responsive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["PerUserUpdateProcessor"]


class _UserLock:
    """An `asyncio.Lock` plus how many updates hold or wait for it, so idle locks can go."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Processes updates concurrently, but serialises those of one user (or chat without user).

    `asyncio.Lock` wakes waiters first-in first-out, and PTB starts one task per update in the
    order they were fetched, so one user's presses are handled in the order they arrived.
    """

    __slots__ = ("_locks",)

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
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
