"""A fake clock, the fake Bot API and a sweep on the `database` fixture (SQLite and PostgreSQL).

Nothing sleeps for real: the pacer sleeps on the fake clock, which the fake Bot API's flood
control and the deliveries' due times read too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.offline import FakeBotApi
from handlers.outbox import OutgoingMessage, Renderer
from handlers.sending import SendPacer
from handlers.sweep import Sweep
from storage import repositories as repo
from storage.database import Database
from storage.models import Delivery, DeliveryKind
from tests.scheduler.deadline_town import town  # noqa: F401 (the deadline tests' fixture)

START = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
TOKEN = "123456:TEST"


class FakeClock:
    """Wall time and monotonic time that move only when something sleeps or a test says so.

    A sleep moves the clock on by its length, so two tasks sleeping at once each wait at least
    as long as they asked (time runs a little fast, never slow).
    """

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0

    def now(self) -> datetime:
        """The current instant, aware UTC."""
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Seconds since the clock was made."""
        return self.elapsed

    def epoch(self) -> float:
        """Seconds since the epoch, as the fake Bot API dates messages."""
        return self.start.timestamp() + self.elapsed

    def advance(self, delta: timedelta) -> None:
        """Moves the clock on."""
        self.elapsed += delta.total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Moves the clock on by `seconds` and lets other tasks run."""
        self.elapsed += max(seconds, 0.0)
        await asyncio.sleep(0)


def render_text(session: Session, delivery: Delivery, now: datetime) -> OutgoingMessage | None:
    """A renderer for the tests: the due key as text; None when the payload says not owed."""
    if delivery.payload.get("owed") is False:
        return None
    keyboard = None
    if delivery.payload.get("button"):
        keyboard = InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("open", callback_data="c:1")
        )
    return OutgoingMessage(f"{delivery.kind} {delivery.due_key}", keyboard)


RENDERERS: dict[str, Renderer] = {DeliveryKind.REMINDER: render_text}


@dataclass
class Outbox:
    """The pieces a sweep test needs, built on one database, fake clock and fake Bot API."""

    database: Database
    clock: FakeClock
    api: FakeBotApi
    bot: Bot
    renderers: dict[str, Renderer] = field(default_factory=lambda: dict(RENDERERS))

    def pacer(self, rate: float = 25) -> SendPacer:
        """A pacer on the fake clock."""
        return SendPacer(rate, clock=self.clock.monotonic, sleep=self.clock.sleep)

    def sweep(self, pacer: SendPacer | None = None, sender: Any = None, **options: Any) -> Sweep:
        """A sweep on the fake clock; `sender` replaces the bot (to inject failures)."""
        return Sweep(
            self.database,
            sender or self.bot,
            self.renderers,
            pacer or self.pacer(),
            now=self.clock.now,
            **options,
        )

    async def owe(
        self,
        recipients: range | list[int],
        *,
        kind: DeliveryKind = DeliveryKind.REMINDER,
        due_key: str = "d1",
        due_in: timedelta = timedelta(0),
        **payload: Any,
    ) -> None:
        """Owes one message to each recipient, due `due_in` from now."""
        due_at = self.clock.now() + due_in

        def work(session: Session) -> None:
            for recipient in recipients:
                body = {"town_id": 1, **payload}
                repo.owe_delivery(session, kind, recipient, due_key, body, due_at)

        await self.database.run(work)

    async def rows(self) -> dict[int, tuple[str, int, str | None]]:
        """Every delivery as recipient → (state, attempts, last_error)."""

        def work(session: Session) -> dict[int, tuple[str, int, str | None]]:
            return {
                row.recipient_telegram_id: (row.state, row.attempts, row.last_error)
                for row in session.scalars(select(Delivery))
            }

        return await self.database.run(work)

    def sent_to(self) -> list[int]:
        """The chats of every sendMessage Telegram accepted, in order."""
        return [call.params["chat_id"] for call in self.api.calls_to("sendMessage") if call.ok]


def make_api(clock: FakeClock, **options: Any) -> FakeBotApi:
    """A fake Bot API on the fake clock."""
    return FakeBotApi(clock=clock.epoch, **options)


@pytest.fixture(autouse=True)
def retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when a 429's `retry_after` is built as an int; opt in to its timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def outbox(database: Database, clock: FakeClock) -> AsyncIterator[Outbox]:
    """A sweep's world against the limit-enforcing fake Bot API."""
    api = make_api(clock, enforce_limits=True)
    bot = Bot(TOKEN, request=api, get_updates_request=api)
    await bot.initialize()
    try:
        yield Outbox(database, clock, api, bot)
        api.assert_no_violations()
    finally:
        await bot.shutdown()
