"""Two webhook processes on one PostgreSQL: nothing lost, nothing recorded or sent twice."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot, Update

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
from storage.models import Answer, Assessment, Cycle, Delivery, DeliveryKind, ProcessedUpdate
from storage.repositories import owe_delivery
from tests.conftest import POSTGRES_URL_ENV

SECRETARIES = 12
ITEMS = 6
LEVELS = ("full", "partial", "none")
# A reminder round both sweeps go after, at a send rate both instances share.
ROUND = range(70_001, 70_061)
SEND_RATE = 20


def card_of(telegram_id: int) -> Any:
    """A unit of work reading the secretary's assessment id, card marker and card message id."""

    def read(session: Session) -> tuple[int, str, int]:
        assessment, sha = session.execute(
            select(Assessment, Cycle.rubric_sha256)
            .join(Cycle, Cycle.id == Assessment.cycle_id)
            .where(Assessment.card_chat_id == telegram_id)
        ).one()
        assert assessment.card_message_id is not None
        return assessment.id, make_marker(assessment.version, sha), assessment.card_message_id

    return read


def owe_round(session: Session) -> None:
    """A reminder owed to every recipient of ROUND, due already."""
    due = datetime.now(UTC) - timedelta(seconds=1)
    for recipient in ROUND:
        owe_delivery(session, DeliveryKind.REMINDER, recipient, "round-1", {}, due)


def delivery_states(session: Session) -> Counter[str]:
    """How many deliveries are in each state."""
    return Counter(session.scalars(select(Delivery.state)))


def busiest_second(times: list[float]) -> int:
    """The most sends that fall within any one second (a window starting at a send)."""
    ordered = sorted(times)
    return max(
        sum(1 for other in ordered[index:] if other < start + 1)
        for index, start in enumerate(ordered)
    )


def answers(session: Session) -> Counter[tuple[int, str, str | None]]:
    """Every answer row as (assessment, item, level), counted."""
    rows = session.execute(select(Answer.assessment_id, Answer.item_id, Answer.level_key))
    return Counter((assessment, item, level) for assessment, item, level in rows)


@pytest.fixture
async def scratch_url() -> Any:
    """A database of its own on the PostgreSQL test server, dropped afterwards."""
    server = os.environ.get(POSTGRES_URL_ENV)
    if not server:
        pytest.skip(f"several instances need PostgreSQL: set {POSTGRES_URL_ENV}")
    url = await create_scratch_database(server)
    try:
        yield url
    finally:
        await drop_scratch_database(server, url)


async def walk(
    instances: Instances,
    factory: UpdateFactory,
    database: Database,
    user: FakeUser,
    code: str,
) -> int:
    """Binds, opens the assessment and answers ITEMS items, alternating between instances.

    The /start and every third press go to both instances at once, as Telegram might after a
    timeout. Returns how many distinct updates were sent.
    """
    first, second = instances.running
    start = factory.message(user, f"/start {code}")
    assert await asyncio.gather(instances.post(first, start), instances.post(second, start)) == [
        200,
        200,
    ]
    assert await instances.post(second, factory.message(user, "/assess")) == 200
    for number in range(1, ITEMS + 1):
        assessment_id, marker, card = await database.run(card_of(user.id))
        data = encode(Kind.ANSWER, assessment_id, marker, number, LEVELS[number % 3])
        press: Update = factory.press(user, card, data)
        targets = instances.running if number % 3 == 0 else [instances.running[number % 2]]
        statuses = await asyncio.gather(*(instances.post(target, press) for target in targets))
        assert statuses == [200] * len(targets)
    return 2 + ITEMS


async def test_two_instances_lose_no_answer_and_record_and_send_none_twice(
    scratch_url: str, tmp_path: Path
) -> None:
    database, codes = await open_seeded(scratch_url, SECRETARIES)
    await database.run(owe_round)
    instances = Instances(
        scratch_url,
        tmp_path,
        environment={
            "PINGXING_SEND_RATE": str(SEND_RATE),
            "PINGXING_SWEEP_SECONDS": "0.2",
            # The round goes out at whatever hour the test runs.
            "PINGXING_QUIET_HOURS": "off",
        },
        options=["--plain-deliveries"],
    )
    try:
        await instances.start(2)
        api = SharedChatsBotApi()
        factory = UpdateFactory(api, Bot(OFFLINE_TOKEN, request=api))
        users = [FakeUser(50_000 + number, f"书记{number}") for number in range(SECRETARIES)]
        sent = await asyncio.gather(
            *(
                walk(instances, factory, database, user, code)
                for user, code in zip(users, codes.values(), strict=True)
            )
        )
        for _ in range(600):
            if (await database.run(delivery_states))["sent"] == len(ROUND):
                break
            await asyncio.sleep(0.05)
    finally:
        statuses = await instances.stop()
    try:
        states = await database.run(delivery_states)
        recorded = await database.run(answers)
        processed = await database.run(
            lambda session: session.scalar(select(func.count()).select_from(ProcessedUpdate))
        )
    finally:
        await database.dispose()

    assert statuses == [0, 0]
    assert processed == sum(sent)
    # Each secretary's ITEMS answers, each once, with the level pressed.
    assert sorted(Counter(level for (_, _, level) in recorded).items()) == [
        ("full", SECRETARIES * 2),
        ("none", SECRETARIES * 2),
        ("partial", SECRETARIES * 2),
    ]
    assert set(recorded.values()) == {1}
    assert len({assessment for (assessment, _, _) in recorded}) == SECRETARIES
    calls = [call for instance in instances.running for call in instance.calls()]
    sends = Counter((call["method"], call["params"].get("chat_id")) for call in calls)
    # Per secretary, across both processes: the binding reply and the first card once, one
    # edit of the card per press however often the press was delivered.
    for user in users:
        assert (sends[("sendMessage", user.id)], sends[("editMessageText", user.id)]) == (
            2,
            ITEMS,
        )
    # The round: every reminder sent once, by one instance or the other, and both together
    # at the one send rate (60 messages at 20 a second take three seconds, not one and a half).
    assert states == {"sent": len(ROUND)}
    reminders = [call for call in calls if call["params"].get("chat_id") in ROUND]
    assert Counter(call["params"]["chat_id"] for call in reminders) == Counter(ROUND)
    times = [call["at"] for call in reminders]
    assert max(times) - min(times) >= (len(ROUND) - 1) / SEND_RATE * 0.9
    assert busiest_second(times) <= SEND_RATE + 1
    logs = "".join(instance.log.read_text() for instance in instances.running)
    assert "ERROR" not in logs and "Traceback" not in logs
