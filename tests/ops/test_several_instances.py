"""Two webhook processes on one PostgreSQL: nothing lost, nothing recorded or sent twice."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot, Update

from bot.app import OFFLINE_TOKEN
from bot.offline import FakeUser, UpdateFactory
from bot.server.offline_instance import SharedChatsBotApi
from handlers.callbacks import Kind, encode, make_marker
from storage.database import Database
from storage.models import Answer, Assessment, Cycle, ProcessedUpdate
from tests.conftest import POSTGRES_URL_ENV
from tests.ops.instances import (
    Instances,
    create_scratch_database,
    drop_scratch_database,
    open_seeded,
)

SECRETARIES = 12
ITEMS = 6
LEVELS = ("full", "partial", "none")


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
    instances = Instances(scratch_url, tmp_path)
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
    finally:
        statuses = await instances.stop()
    try:
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
    logs = "".join(instance.log.read_text() for instance in instances.running)
    assert "ERROR" not in logs and "Traceback" not in logs
