"""A town in the last month of its rating year, for the deadline, reminder and result tests.

示范县/城关镇 (from the conversation tests' seed) with its 2026 cycle ending with 2026-12-31,
Beijing time (2026-12-31T16:00:00Z), three bound secretaries and one reviewer:

| branch | secretary | assessment |
| --- | --- | --- |
| 东村党支部 | 1001 | in progress, 2 items answered |
| 西村党支部 | 1002 | submitted |
| 镇机关党支部 | 1003 | not started |

and a fourth branch, 南村党支部, with no secretary bound. Town reviewer: 2001.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.offline import FakeBotApi, FakeUser
from handlers.outbox import OutgoingMessage
from storage.database import Database
from storage.models import AnswerSource, Assessment, Cycle, Delivery, Role, Town
from storage.repositories import (
    get_or_create_assessment,
    get_or_create_person,
    grant_role,
    set_answer,
    submit_assessment,
    upsert_branch,
)
from storage.schedule import ReminderSchedule
from tests.handlers.conftest import NOW, Harness, seed_county, start_harness

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = ReminderSchedule.of(SHANGHAI)
DEADLINE = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
EAST, WEST, OFFICE, SOUTH = "东村党支部", "西村党支部", "镇机关党支部", "南村党支部"
SECRETARIES = {EAST: 1001, WEST: 1002, OFFICE: 1003}
REVIEWER = 2001


@dataclass
class Town2026:
    """The running bot on the town, and the users in it."""

    harness: Harness
    users: dict[str, FakeUser]

    @property
    def database(self) -> Database:
        return self.harness.database

    def branch_id(self, name: str) -> int:
        return self.harness.seed.branches[name]

    @property
    def cycle_id(self) -> int:
        return self.harness.seed.cycle_id

    async def run(self, work: Any) -> Any:
        return await self.database.run(work)

    async def assessment(self, branch: str) -> Assessment | None:
        branch_id, cycle_id = self.branch_id(branch), self.cycle_id
        return await self.run(
            lambda session: session.scalar(
                select(Assessment).where(
                    Assessment.branch_id == branch_id, Assessment.cycle_id == cycle_id
                )
            )
        )

    async def deliveries(self, **where: Any) -> list[Delivery]:
        """Every delivery row (filtered on equal columns), by due time, recipient and key."""

        def read(session: Session) -> list[Delivery]:
            query = select(Delivery).order_by(
                Delivery.due_at, Delivery.recipient_telegram_id, Delivery.due_key
            )
            for name, value in where.items():
                query = query.where(getattr(Delivery, name) == value)
            return list(session.scalars(query).all())

        return await self.run(read)

    async def render(
        self, renderer: Any, delivery_id: int, now: datetime
    ) -> OutgoingMessage | None:
        """Calls a renderer on one row in its own transaction, as the sender would."""
        return await self.run(
            lambda session: renderer(session, session.get_one(Delivery, delivery_id), now)
        )

    async def send(self, telegram_id: int, message: OutgoingMessage) -> None:
        """Sends a rendered message to a chat through the bot, as the sender would."""
        await self.harness.app.bot.send_message(
            telegram_id, message.text, reply_markup=message.keyboard
        )


def _prepare(session: Session, seed: Any) -> None:
    cycle = session.get_one(Cycle, seed.cycle_id)
    cycle.deadline_at = DEADLINE
    town = session.get_one(Town, seed.town_id)
    branch, _ = upsert_branch(session, town, SOUTH, "rural")
    seed.branches[SOUTH] = branch.id
    reviewer = get_or_create_person(session, REVIEWER)
    grant_role(session, reviewer, Role.TOWN, seed.town_id, NOW)
    east = get_or_create_assessment(session, seed.branches[EAST], cycle.id, NOW)
    for item_id in ("team.study", "team.policy"):
        set_answer(session, east.id, item_id, "full", AnswerSource.SELF, None, NOW)
    west = get_or_create_assessment(session, seed.branches[WEST], cycle.id, NOW)
    submit_assessment(session, west.id, 4, None, NOW)


@pytest.fixture
async def town(database: Database) -> AsyncIterator[Town2026]:
    """The town with its secretaries bound through their invites, on the running bot."""
    seed = await seed_county(database)
    harness = await start_harness(database, seed, FakeBotApi())
    try:
        users = {
            name: FakeUser(telegram_id, f"{name}书记") for name, telegram_id in SECRETARIES.items()
        }
        for name, user in users.items():
            await harness.bind(user, name)
        await database.run(lambda session: _prepare(session, seed))
        yield Town2026(harness, users)
        harness.api.assert_no_violations()
    finally:
        await harness.app.shutdown()
