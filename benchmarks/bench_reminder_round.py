"""A reminder round: 900 secretaries reminded by the sweep, against Telegram's flood limits.

The real `Sweep` and `SendPacer` (the default 25 messages a second) on a fresh SQLite file
(WAL), sending to the fake Bot API in its limit-enforcing mode (30 messages a second overall,
one a second into a chat, 429 with `retry_after` beyond them) with a round trip of
`ROUND_TRIP_SECONDS` on every call, all in real time. The renderer reads the delivery's branch
row, as a real reminder reads the secretary's progress. Reported: wall time against the limit's
floor (900 / 30 = 30 s) and the pacer's (900 / 25 = 36 s), the 429s Telegram answered, and
messages sent twice or never. Goal: within 1.1 x 36 s, no 429, none lost, none twice.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.app import OFFLINE_TOKEN
from bot.offline import FakeBotApi
from handlers.outbox import OutgoingMessage
from handlers.sending import DEFAULT_SEND_RATE, TELEGRAM_SEND_RATE, SendPacer
from handlers.sweep import Sweep
from storage.database import open_database
from storage.models import Branch, Delivery, DeliveryKind, DeliveryState
from storage.repositories import get_or_create_county, get_or_create_town, owe_delivery

__all__ = ["RoundResult", "main", "measure_round"]

SECRETARIES = 900
# A Bot API round trip from a server in China to Telegram is tens to hundreds of milliseconds.
ROUND_TRIP_SECONDS = 0.1
GOAL_FACTOR = 1.1


@dataclass(frozen=True)
class RoundResult:
    """What one round measured."""

    wall_seconds: float
    flood_refusals: int
    sent_twice: int
    never_sent: int
    rows_sent: int


def _seed(session: Session) -> None:
    town = get_or_create_town(session, get_or_create_county(session, "示范县"), "城关镇")
    now = datetime.now(UTC)
    for number in range(SECRETARIES):
        branch = Branch(town_id=town.id, name=f"第{number}党支部", category="rural")
        session.add(branch)
        session.flush()
        payload = {"town_id": town.id, "branch_id": branch.id}
        owe_delivery(session, DeliveryKind.REMINDER, 10_000 + number, "c1:d3", payload, now)


def _render(session: Session, delivery: Delivery, now: datetime) -> OutgoingMessage:
    branch = session.get(Branch, delivery.payload["branch_id"])
    name = branch.name if branch is not None else "?"
    return OutgoingMessage(f"{name}: 距截止还有 3 天，已答 20/38 项。")


async def measure_round(database_path: Path) -> RoundResult:
    """Owes a reminder to each secretary, runs one sweep in real time and checks the result."""
    database = await open_database(f"sqlite:///{database_path}")
    api = FakeBotApi(enforce_limits=True, latency=ROUND_TRIP_SECONDS)
    bot = Bot(OFFLINE_TOKEN, request=api, get_updates_request=api)
    await bot.initialize()
    try:
        await database.run(_seed)
        sweep = Sweep(database, bot, {DeliveryKind.REMINDER: _render}, SendPacer())
        started = time.perf_counter()
        await sweep.run()
        wall = time.perf_counter() - started
        rows_sent = await database.run(
            lambda session: session.scalar(
                select(func.count()).where(Delivery.state == DeliveryState.SENT)
            )
        )
    finally:
        await bot.shutdown()
        await database.dispose()
    sent = Counter(call.params["chat_id"] for call in api.calls_to("sendMessage") if call.ok)
    return RoundResult(
        wall_seconds=wall,
        flood_refusals=len(api.calls_answered(429)),
        sent_twice=sum(1 for count in sent.values() if count > 1),
        never_sent=SECRETARIES - len(sent),
        rows_sent=int(rows_sent or 0),
    )


def report(result: RoundResult) -> str:
    """The figures, against the limit and the goal."""
    floor = SECRETARIES / TELEGRAM_SEND_RATE
    paced = SECRETARIES / DEFAULT_SEND_RATE
    met = (
        result.wall_seconds <= GOAL_FACTOR * paced
        and result.flood_refusals == result.sent_twice == result.never_sent == 0
    )
    return "\n".join(
        [
            f"reminder round: {SECRETARIES} secretaries, {ROUND_TRIP_SECONDS * 1000:.0f} ms "
            "round trip, limit-enforcing fake Bot API",
            f"wall time        {result.wall_seconds:6.2f} s",
            f"limit's floor    {floor:6.2f} s  ({SECRETARIES}/{TELEGRAM_SEND_RATE}); "
            f"wall / floor {result.wall_seconds / floor:.3f}",
            f"pacer's floor    {paced:6.2f} s  ({SECRETARIES}/{DEFAULT_SEND_RATE}); "
            f"wall / paced {result.wall_seconds / paced:.3f} (goal <= {GOAL_FACTOR})",
            f"429s {result.flood_refusals}, sent twice {result.sent_twice}, "
            f"never sent {result.never_sent}, rows marked sent {result.rows_sent}",
            f"goal {'met' if met else 'NOT met'}",
        ]
    )


def main() -> None:
    """Runs one round on a fresh SQLite file and prints the figures."""
    with tempfile.TemporaryDirectory() as folder:
        result = asyncio.run(measure_round(Path(folder) / "round.sqlite3"))
    print(report(result), flush=True)


if __name__ == "__main__":
    main()
