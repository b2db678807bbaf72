"""The webhook path: presses through HTTP into one and two instances on PostgreSQL, beside SQLite.

Three setups, measured in one run on this machine:

- **SQLite, polling path**: `bench_answer_path`'s pingxing side (the real Application in this
  process on a SQLite file, updates handed to its update processor as the polling fetcher does).
- **PostgreSQL, webhook, 1 instance** and **2 instances**: `bot.server.offline_instance`
  processes (the real Application under uvicorn, each on its own offline Bot API) on one scratch
  PostgreSQL database; this process is Telegram, posting each press to a webhook and timing it
  until the answer 200 (the press saved, the card edited, the query answered). With two
  instances each secretary's presses alternate between them.

The same workload everywhere: `USERS` secretaries pressing an answer at once, `PRESSES_PER_USER`
each. The server processes, PostgreSQL and this client share the machine's cores, so the figures
are for comparing the setups side by side, not capacity on dedicated machines.

PostgreSQL comes from `PINGXING_BENCH_POSTGRES_URL` (else `PINGXING_TEST_POSTGRES_URL`), e.g.
`postgresql+asyncpg://postgres@127.0.0.1:5432/test`; without one only SQLite is measured.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot

from benchmarks.bench_answer_path import PRESSES_PER_USER, USERS, Measurement, measure_pingxing
from bot.app import OFFLINE_TOKEN
from bot.offline import FakeUser, UpdateFactory
from bot.server.offline_group import (
    Instances,
    create_scratch_database,
    drop_scratch_database,
    open_seeded,
)
from bot.server.offline_instance import SharedChatsBotApi
from handlers.callbacks import Kind, encode, make_marker
from storage.database import Database
from storage.models import Answer, Assessment, Cycle

__all__ = ["main", "measure_webhook"]

_FIRST_USER_ID = 600_000


def _cards(session: Session) -> dict[int, tuple[int, int, str, int]]:
    """Per secretary: assessment id, version, rubric sha and card message id."""
    rows = session.execute(
        select(
            Assessment.card_chat_id,
            Assessment.id,
            Assessment.version,
            Cycle.rubric_sha256,
            Assessment.card_message_id,
        ).join(Cycle, Cycle.id == Assessment.cycle_id)
    )
    return {
        chat: (assessment, version, sha, card) for chat, assessment, version, sha, card in rows
    }


async def _prepare(
    instances: Instances, factory: UpdateFactory, users: list[FakeUser], codes: list[str]
) -> None:
    """Binds every secretary and opens their assessments, through the first instance."""
    first = instances.running[0]

    async def one(user: FakeUser, code: str) -> None:
        await instances.post(first, factory.message(user, f"/start {code}"))
        await instances.post(first, factory.message(user, "/assess"))

    await asyncio.gather(*(one(user, code) for user, code in zip(users, codes, strict=True)))


async def _press_all(
    instances: Instances, factory: UpdateFactory, users: list[FakeUser], database: Database
) -> Measurement:
    """Every secretary presses `PRESSES_PER_USER` answers, all at once; times each press.

    Each answer moves the card on one item and the assessment's version by one, so the n-th
    press carries the version read before the first plus n.
    """
    cards = await database.run(_cards)
    latencies: list[float] = []
    building: list[float] = []

    async def secretary(user: FakeUser, offset: int) -> None:
        assessment, version, sha, card = cards[user.id]
        for press in range(PRESSES_PER_USER):
            started = time.perf_counter()
            marker = make_marker(version + press, sha)
            data = encode(Kind.ANSWER, assessment, marker, press + 1, "full")
            update = factory.press(user, card, data)
            target = instances.running[(offset + press) % len(instances.running)]
            handed_over = time.perf_counter()
            building.append(handed_over - started)
            status = await instances.post(target, update)
            latencies.append(time.perf_counter() - handed_over)
            if status != 200:
                raise RuntimeError(f"press answered {status}")

    started = time.perf_counter()
    await asyncio.gather(*(secretary(user, offset) for offset, user in enumerate(users)))
    seconds = time.perf_counter() - started - sum(building)
    return Measurement(len(users) * PRESSES_PER_USER, seconds, latencies)


async def measure_webhook(server_url: str, count: int, folder: Path) -> Measurement:
    """Runs the workload through `count` instances on a fresh scratch database."""
    url = await create_scratch_database(server_url)
    try:
        database, codes = await open_seeded(url, USERS)
        instances = Instances(url, folder)
        try:
            await instances.start(count)
            api = SharedChatsBotApi()
            factory = UpdateFactory(api, Bot(OFFLINE_TOKEN, request=api), check=False)
            users = [FakeUser(_FIRST_USER_ID + number, f"书记{number}") for number in range(USERS)]
            await _prepare(instances, factory, users, list(codes.values()))
            measured = await _press_all(instances, factory, users, database)
            answered = await database.run(
                lambda session: session.scalar(select(func.count()).select_from(Answer))
            )
            if answered != measured.updates:
                raise RuntimeError(f"{answered} answers saved of {measured.updates} presses")
        finally:
            await instances.stop()
            await database.dispose()
    finally:
        await drop_scratch_database(server_url, url)
    return measured


def _row(name: str, measurement: Measurement) -> str:
    return (
        f"{name:<36}{measurement.updates:>8}{measurement.throughput:>12.0f}"
        f"{measurement.percentile(0.50):>10.2f}{measurement.percentile(0.99):>10.2f}"
    )


async def _measure(server_url: str | None) -> list[tuple[str, Measurement]]:
    rows: list[tuple[str, Measurement]] = []
    with tempfile.TemporaryDirectory(prefix="pingxing-bench-") as folder:
        sqlite = await measure_pingxing(Path(folder))
        rows.append(("SQLite, polling path, 1 process", sqlite["concurrent"]))
        if server_url:
            for count in (1, 2):
                measured = await measure_webhook(server_url, count, Path(folder))
                plural = "instance" if count == 1 else "instances"
                rows.append((f"PostgreSQL, webhook, {count} {plural}", measured))
    return rows


def main() -> None:
    """Measures the three setups and prints the table."""
    server_url = os.environ.get("PINGXING_BENCH_POSTGRES_URL") or os.environ.get(
        "PINGXING_TEST_POSTGRES_URL"
    )
    rows = asyncio.run(_measure(server_url))
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    lines: list[Any] = [
        f"webhook path: {USERS} secretaries x {PRESSES_PER_USER} answer presses at once "
        f"(load average {load} on {os.cpu_count()} cores)",
        f"{'':<36}{'presses':>8}{'presses/s':>12}{'p50 ms':>10}{'p99 ms':>10}",
        *(_row(name, measured) for name, measured in rows),
    ]
    if not server_url:
        lines.append("PostgreSQL skipped: set PINGXING_BENCH_POSTGRES_URL to measure webhooks")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
