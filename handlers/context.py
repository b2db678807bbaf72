"""The bot's shared state, typed: what every handler finds in `context.bot_data`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from handlers.sending import SendPacer, never_quiet

if TYPE_CHECKING:
    from handlers.outbox import Renderer
    from storage.database import Database
    from storage.schedule import ReminderSchedule

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
        database: the database, once opened; handlers run one unit of work per update on it.
        timezone: the zone users read dates in.
        now: the clock; tests replace it to move through a cycle's deadline.
        bot_username: the bot's @name, for invite links.
        database_url: what `post_init` opens when no database was given.
        rubrics: parsed rubrics by the sha of their text, so a press never re-parses YAML.
        owns_database: whether `post_shutdown` should dispose of the database.
        delivery_renderers: delivery kind → the renderer the sweep sends it with.
        send_pacer: the flood control every sweep run of this process shares.
        quiet: True at the instants (aware UTC) the sweep must not send (quiet hours).
        sweep_lock: held while a sweep runs, so a long round is not swept twice at once.
        reminder_schedule: when reminders go out (local time, quiet hours); set at build.
        stopping: set when the process begins to stop: a running sweep starts no more sends,
            lets those begun finish, and hands the rest of its claims back.
    """

    database: Database | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    now: Callable[[], datetime] = utc_now
    bot_username: str | None = None
    database_url: str | None = None
    rubrics: dict[str, Any] = field(default_factory=dict)
    owns_database: bool = False
    delivery_renderers: dict[str, Renderer] = field(default_factory=dict)
    send_pacer: SendPacer = field(default_factory=SendPacer)
    quiet: Callable[[datetime], bool] = never_quiet
    sweep_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    reminder_schedule: ReminderSchedule | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def require_database(self) -> Database:
        """Returns the database, or raises if it was never opened."""
        if self.database is None:
            raise RuntimeError("the database is not open yet: post_init has not run")
        return self.database


Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotState]
"""The context type every callback receives."""

CONTEXT_TYPES: ContextTypes[Context, dict[Any, Any], dict[Any, Any], BotState] = ContextTypes(
    bot_data=BotState
)
