"""The answer path: secretaries pressing answer buttons, pingxing against bare PTB.

Both sides run in this process on the same fake Bot API (strict: every call is checked against the
Bot API description, on both sides alike), with updates handed to each Application's own update
processor as its update fetcher would:

- **pingxing**: the real `build_application` on a fresh SQLite file (WAL). Each press is checked
  against the database, the answer is written and committed with the update id, the card is edited
  and the callback query answered.
- **bare PTB**: an `Application` with one `CallbackQueryHandler` making the same two Bot API calls
  (answerCallbackQuery with a toast, editMessageText with a card of the same size and keyboard) and
  no database.

Two workloads: `USERS` secretaries pressing at once (throughput, and latency from hand-over to done
with everyone's presses in flight), and one secretary pressing alone (the service time of one
press). Both sides are measured in `ROUNDS` alternating rounds and each keeps its best round:
on a shared machine another process's burst slows one round, never speeds one up.
`PINGXING_BENCH_PROFILE=1` also profiles pingxing's concurrent run with cProfile and prints where
the time goes.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.app import OFFLINE_TOKEN, build_application, prepare_application
from bot.offline import ChatMessage, FakeBotApi, FakeUser, UpdateFactory
from bot.settings import Settings
from scoring import default_rubric, default_rubric_text
from storage.database import open_database
from storage.models import Answer
from storage.repositories import (
    create_invite,
    get_or_create_county,
    get_or_create_town,
    open_cycle,
    upsert_branch,
)

__all__ = ["Measurement", "main", "measure_bare", "measure_pingxing"]

# 50 secretaries answering 30 items each: 1,500 presses per side, a few seconds on 2 cores.
USERS = 50
PRESSES_PER_USER = 30
# Then secretaries press alone, one after another, for the service time of one press.
SOLO_USERS = 6
# Users who warm both sides up (imports, caches, prepared statements) before anything is timed.
WARMUP_USERS = 5
WARMUP_PRESSES = 4
# Rounds per side, alternating; each side keeps its fastest round (`PINGXING_BENCH_ROUNDS`).
ROUNDS = int(os.environ.get("PINGXING_BENCH_ROUNDS", "3"))
# Rural branches have 38 items: enough for every user's presses without running out.
CATEGORY = "rural"
# The floor to hold: a fifth of bare PTB's presses per second. A press waits on Telegram's round
# trip (tens of milliseconds), so this is about not wasting the machine, not about speed a user
# can feel.
FLOOR = 0.2

_FIRST_USER_ID = 500_000


@dataclass(frozen=True)
class Measurement:
    """One side's figures for one workload."""

    updates: int
    seconds: float
    latencies: list[float]
    statements: int = 0  # SQL statements the database saw (pingxing only)

    @property
    def throughput(self) -> float:
        """Updates per second."""
        return self.updates / self.seconds

    def percentile(self, share: float) -> float:
        """A latency percentile in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        rank = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
        return ordered[rank] * 1000


Press = Callable[[FakeUser], Update]


async def _drive(
    application: Application[Any, Any, Any, Any, Any, Any],
    users: list[FakeUser],
    presses: int,
    next_press: Press,
) -> Measurement:
    """Has every user press `presses` times, all users at once, and times each update.

    Building an update (reading the card the fake holds, `Update.de_json`) is the simulated
    phone's work, not the bot's: it runs on the same event loop, so its time is taken off the
    wall time before throughput is computed.
    """
    latencies: list[float] = []
    building: list[float] = []

    async def secretary(user: FakeUser) -> None:
        for _ in range(presses):
            started = time.perf_counter()
            update = next_press(user)
            handed_over = time.perf_counter()
            building.append(handed_over - started)
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
            latencies.append(time.perf_counter() - handed_over)

    started = time.perf_counter()
    await asyncio.gather(*(secretary(user) for user in users))
    seconds = time.perf_counter() - started - sum(building)
    return Measurement(len(users) * presses, seconds, latencies)


async def _alone(
    application: Application[Any, Any, Any, Any, Any, Any], users: list[FakeUser], press: Press
) -> Measurement:
    """Has each user press on their own, one user after another: no queueing at all."""
    runs = [await _drive(application, [user], PRESSES_PER_USER, press) for user in users]
    return Measurement(
        sum(run.updates for run in runs),
        sum(run.seconds for run in runs),
        [latency for run in runs for latency in run.latencies],
    )


def _users(first: int, count: int) -> list[FakeUser]:
    return [FakeUser(first + number, f"secretary{number}") for number in range(count)]


# -- pingxing --------------------------------------------------------------------------------


def _seed(session: Session, count: int, now: datetime) -> list[str]:
    """One town, one cycle on the default rubric, `count` rural branches; their invite codes."""
    county = get_or_create_county(session, "bench-county")
    town = get_or_create_town(session, county, "bench-town")
    open_cycle(session, town, now.year, now + timedelta(days=30), default_rubric_text(), now=now)
    codes = []
    for number in range(count):
        branch, _ = upsert_branch(session, town, f"bench-branch-{number}", CATEGORY)
        codes.append(create_invite(session, branch.id, now + timedelta(days=7), now))
    return codes


class _StatementCounter:
    """Counts the SQL statements (BEGIN and COMMIT included) an engine executes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        event.listen(self.engine, "commit", self._count)

    def _count(self, *_: Any) -> None:
        self.count += 1

    def stop(self) -> int:
        """Stops counting and returns the count."""
        event.remove(self.engine, "before_cursor_execute", self._count)
        event.remove(self.engine, "commit", self._count)
        return self.count


def _card(api: FakeBotApi, user: FakeUser) -> ChatMessage:
    """The user's newest message with buttons: the item card."""
    return next(m for m in reversed(api.chat_messages(user.id)) if m.buttons)


async def measure_pingxing(folder: Path, profile: bool = False) -> dict[str, Measurement]:
    """Runs both workloads on the real Application; checks every press was recorded."""
    url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    database = await open_database(url)
    api = FakeBotApi()
    settings = Settings(_env_file=None, database_url=url, bot_token=None)  # type: ignore[call-arg]
    application = build_application(settings, request=api, database=database)
    full = default_rubric().answer_levels[0].label
    try:
        await application.initialize()
        await prepare_application(application)
        users = _users(_FIRST_USER_ID, USERS + WARMUP_USERS + SOLO_USERS)
        now = datetime.now(UTC)
        codes = await database.run(lambda session: _seed(session, len(users), now))
        updates = UpdateFactory(api, application.bot, check=False)
        for user, code in zip(users, codes, strict=True):
            await application.process_update(updates.message(user, f"/start {code}"))
            await application.process_update(updates.message(user, "/assess"))

        def answer(user: FakeUser) -> Update:
            card = _card(api, user)
            return updates.press(user, card, card.callback_data(full))

        warmup = users[:WARMUP_USERS]
        measured = users[WARMUP_USERS : WARMUP_USERS + USERS]
        solo = users[WARMUP_USERS + USERS :]
        await _drive(application, warmup, WARMUP_PRESSES, answer)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        concurrent = await _drive(application, measured, PRESSES_PER_USER, answer)
        if profiler:
            profiler.disable()
            _print_profile(profiler)

        statements = _StatementCounter(database.sync_engine)
        alone = await _alone(application, solo, answer)
        alone = replace(alone, statements=statements.stop())
        answers = await database.run(
            lambda session: session.scalar(select(func.count()).select_from(Answer))
        )
        expected = (WARMUP_USERS * WARMUP_PRESSES) + (USERS + SOLO_USERS) * PRESSES_PER_USER
        if not answers or answers < expected or api.violations:
            raise RuntimeError(
                f"pingxing recorded {answers} answers, expected at least {expected}; "
                f"Bot API violations: {api.violations[:3]}"
            )
    finally:
        await application.shutdown()
        await database.dispose()
    return {"concurrent": concurrent, "alone": alone}


# -- bare PTB --------------------------------------------------------------------------------


def _bare_keyboard(step: int) -> InlineKeyboardMarkup:
    """Ten buttons in four rows, like the item card's."""
    labels = [f"button {number}" for number in range(10)]
    rows = [labels[0:3], labels[3:6], labels[6:9], labels[9:]]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"a:{step}:{label}") for label in row]
            for row in rows
        ]
    )


async def _bare_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the press and edits the card to the next item, as pingxing does."""
    query = update.callback_query
    assert query is not None and query.data is not None
    step = int(query.data.split(":")[1]) + 1
    await query.answer("saved")
    # About as long as a real item card (area, item text, points, hint, progress).
    await query.edit_message_text(f"item {step}\n" + "x" * 220, reply_markup=_bare_keyboard(step))


async def measure_bare() -> dict[str, Measurement]:
    """Runs both workloads on a bare PTB Application with no database."""
    api = FakeBotApi()
    application = (
        ApplicationBuilder()
        .token(OFFLINE_TOKEN)
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(CallbackQueryHandler(_bare_answer))
    try:
        await application.initialize()
        users = _users(_FIRST_USER_ID, USERS + WARMUP_USERS + SOLO_USERS)
        updates = UpdateFactory(api, application.bot, check=False)
        for user in users:
            await application.bot.send_message(user.id, "item 0", reply_markup=_bare_keyboard(0))

        def answer(user: FakeUser) -> Update:
            card = _card(api, user)
            return updates.press(user, card, card.buttons[0].callback_data or "")

        warmup = users[:WARMUP_USERS]
        measured = users[WARMUP_USERS : WARMUP_USERS + USERS]
        solo = users[WARMUP_USERS + USERS :]
        await _drive(application, warmup, WARMUP_PRESSES, answer)
        concurrent = await _drive(application, measured, PRESSES_PER_USER, answer)
        alone = await _alone(application, solo, answer)
        if api.violations:
            raise RuntimeError(f"bare PTB: Bot API violations: {api.violations[:3]}")
    finally:
        await application.shutdown()
    return {"concurrent": concurrent, "alone": alone}


# -- report ----------------------------------------------------------------------------------


def _print_profile(profiler: cProfile.Profile) -> None:
    """Prints the functions that take the most time, by own time and by cumulative time."""
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    print("-- pingxing concurrent run, top functions by own time")
    stats.sort_stats("tottime").print_stats(20)
    print("-- by cumulative time")
    stats.sort_stats("cumulative").print_stats(30)


def _row(name: str, measurement: Measurement) -> str:
    return (
        f"{name:<28}{measurement.updates:>8}{measurement.throughput:>12.0f}"
        f"{measurement.percentile(0.50):>10.2f}{measurement.percentile(0.99):>10.2f}"
    )


def report(bare: dict[str, Measurement], pingxing: dict[str, Measurement]) -> str:
    """The table `make bench` prints."""
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    lines = [
        f"answer path: {USERS} secretaries x {PRESSES_PER_USER} presses at once, then "
        f"{SOLO_USERS} secretaries pressing alone, one after another; SQLite file (WAL), "
        f"strict fake Bot API; best of {ROUNDS} rounds "
        f"(load average {load} on {os.cpu_count()} cores)",
        f"{'':<28}{'updates':>8}{'updates/s':>12}{'p50 ms':>10}{'p99 ms':>10}",
    ]
    for workload in ("concurrent", "alone"):
        lines.append(_row(f"bare PTB, {workload}", bare[workload]))
        lines.append(_row(f"pingxing, {workload}", pingxing[workload]))
    for workload in ("concurrent", "alone"):
        ratio = pingxing[workload].throughput / bare[workload].throughput
        verdict = "holds" if ratio >= FLOOR else "BELOW"
        lines.append(
            f"throughput ratio, {workload}: {ratio:.0%} of bare PTB "
            f"({verdict} the {FLOOR:.0%} floor)"
        )
    alone = pingxing["alone"]
    lines.append(
        f"SQL statements per press (pingxing, alone): {alone.statements / alone.updates:.1f}"
    )
    return "\n".join(lines)


def _best(rounds: list[dict[str, Measurement]]) -> dict[str, Measurement]:
    """Each workload's fastest round."""
    return {
        workload: max((measured[workload] for measured in rounds), key=lambda m: m.throughput)
        for workload in rounds[0]
    }


async def _measure(profile: bool) -> tuple[dict[str, Measurement], dict[str, Measurement]]:
    bare: list[dict[str, Measurement]] = []
    pingxing: list[dict[str, Measurement]] = []
    for round_number in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="pingxing-bench-") as folder:
            bare.append(await measure_bare())
            pingxing.append(await measure_pingxing(Path(folder), profile and round_number == 0))
    return _best(bare), _best(pingxing)


def main() -> None:
    """Measures both sides in this process and prints the table."""
    profile = os.environ.get("PINGXING_BENCH_PROFILE") == "1"
    bare, pingxing = asyncio.run(_measure(profile))
    print(report(bare, pingxing), flush=True)


if __name__ == "__main__":
    main()
