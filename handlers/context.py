"""The bot's shared state, typed: what every handler finds in `context.bot_data`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

__all__ = ["CONTEXT_TYPES", "BotState", "Context", "utc_now"]

# Seed and domain: users in China read local time; the database keeps UTC.
DEFAULT_TIMEZONE = "Asia/Shanghai"


def utc_now() -> datetime:
    """Returns the current time as an aware UTC datetime."""
    return datetime.now(UTC)


@dataclass
class BotState:
    """Everything handlers share, held in `application.bot_data`.

    PTB creates this with no arguments when the Application is built; `build_application`
    fills it in (at once when it is given a database, otherwise in `post_init`).

    Attributes:
        engine: the database engine, once opened.
        sessions: the session factory; handlers open one transaction per update with it.
        timezone: the zone users read dates in.
        now: the clock; tests replace it to move through a cycle's deadline.
        bot_username: the bot's @name, for invite links.
        database_url: what `post_init` opens when no engine was given.
        rubrics: parsed rubrics by the sha of their text, so a press never re-parses YAML.
        owns_engine: whether `post_shutdown` should dispose of the engine.
        write_lock: on SQLite, the in-process queue for transactions (see `attach_database`).
    """

    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    now: Callable[[], datetime] = utc_now
    bot_username: str | None = None
    database_url: str | None = None
    rubrics: dict[str, Any] = field(default_factory=dict)
    owns_engine: bool = False
    write_lock: asyncio.Lock | None = None

    def attach_database(
        self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Uses this engine and session factory from now on.

        SQLite takes one writer at a time, and a connection that finds the file locked sleeps
        in SQLite's busy handler (up to 100 ms a try) instead of queueing. Transactions of this
        process therefore queue on an asyncio lock first, so they reach SQLite one by one and
        never sleep; the busy timeout still covers other processes on the same file.
        """
        self.engine, self.sessions = engine, sessions
        self.write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        """Returns the session factory, or raises if the database was never opened."""
        if self.sessions is None:
            raise RuntimeError("the database is not open yet: post_init has not run")
        return self.sessions


Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotState]
"""The context type every callback receives."""

CONTEXT_TYPES: ContextTypes[Context, dict[Any, Any], dict[Any, Any], BotState] = ContextTypes(
    bot_data=BotState
)
