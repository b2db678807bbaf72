"""A seeded county and the real Application on the fake Bot API, for the conversation tests.

`bot` gives a `Harness`: the Application built by `build_application` on the shared `database`
fixture (SQLite and PostgreSQL), the strict fake Bot API, an update factory, and a frozen clock.
The county has one town with two rural branches and one institution branch, a 2026 cycle on the
default rubric, and an invite code per branch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.offline import ChatMessage, FakeBotApi, FakeUser, UpdateFactory
from bot.settings import Settings
from scoring import default_rubric_text
from storage.database import Database
from storage.repositories import (
    create_invite,
    get_or_create_county,
    get_or_create_town,
    open_cycle,
    upsert_branch,
)

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# The end of 2026-12-31 in Asia/Shanghai.
DEADLINE = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)


@dataclass
class Seed:
    """What the seeded county holds: branch ids and invite codes by branch name."""

    town_id: int
    cycle_id: int
    branches: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


def _seed_county(session: Session) -> Seed:
    county = get_or_create_county(session, "示范县")
    town = get_or_create_town(session, county, "城关镇")
    cycle = open_cycle(session, town, 2026, DEADLINE, default_rubric_text(), now=NOW)
    seed = Seed(town.id, cycle.id)
    for name, category in (
        ("东村党支部", "rural"),
        ("西村党支部", "rural"),
        ("镇机关党支部", "institution"),
    ):
        branch, _ = upsert_branch(session, town, name, category)
        seed.branches[name] = branch.id
        seed.codes[name] = create_invite(session, branch.id, NOW + timedelta(days=30), NOW)
    return seed


async def seed_county(database: Database) -> Seed:
    """Creates 示范县/城关镇 with three branches, an open 2026 cycle and one invite each."""
    return await database.run(_seed_county)


def offline_settings(database_url: str = "sqlite+aiosqlite:///unused.sqlite3") -> Settings:
    """Settings that never read the developer's `.env`."""
    return Settings(_env_file=None, database_url=database_url, bot_token=None)  # type: ignore[call-arg]


@dataclass
class Harness:
    """The real Application on the fake Bot API, plus helpers that speak like a user."""

    app: Application[Any, Any, Any, Any, Any, Any]
    api: FakeBotApi
    updates: UpdateFactory
    database: Database
    seed: Seed
    now: datetime = NOW

    async def deliver(self, update: Update) -> Update:
        """Processes one update the way PTB would, and returns it (to re-deliver it)."""
        await self.app.process_update(update)
        return update

    async def send(self, user: FakeUser, text: str) -> Update:
        """The user sends a text message (or a command)."""
        return await self.deliver(self.updates.message(user, text))

    async def press(
        self, user: FakeUser, label: str, message: ChatMessage | None = None
    ) -> Update:
        """The user presses the button labelled `label` on `message` (default: the card)."""
        target = message if message is not None else self.card(user)
        return await self.deliver(self.updates.press_button(user, target, label))

    async def press_data(
        self, user: FakeUser, data: str, message: ChatMessage | None = None
    ) -> Update:
        """The user's client sends `data` as if a button carried it (forging)."""
        target = message if message is not None else self.card(user)
        return await self.deliver(self.updates.press(user, target, data))

    def last(self, user: FakeUser) -> ChatMessage:
        """The bot's newest message in the user's chat, as it stands after edits."""
        return self.api.last_message(user.id)

    def card(self, user: FakeUser) -> ChatMessage:
        """The bot's newest message with buttons: the screen the user is looking at."""
        with_buttons = [m for m in self.api.chat_messages(user.id) if m.buttons]
        assert with_buttons, "the bot has sent no message with buttons"
        return with_buttons[-1]

    def message(self, user: FakeUser, message_id: int) -> ChatMessage:
        """A message of the user's chat as it stands now."""
        return self.api.message(user.id, message_id)

    def answers(self) -> list[dict[str, Any]]:
        """Every answerCallbackQuery the bot made, oldest first."""
        return [call.params for call in self.api.calls_to("answerCallbackQuery")]

    async def bind(self, user: FakeUser, branch: str = "东村党支部") -> None:
        """Binds the user as the secretary of `branch` through its invite."""
        await self.send(user, f"/start {self.seed.codes[branch]}")


async def start_harness(database: Database, seed: Seed, api: FakeBotApi) -> Harness:
    """Builds and initialises an Application on the given database and fake."""
    app = build_application(offline_settings(), request=api, database=database)
    await app.initialize()
    harness = Harness(app, api, UpdateFactory(api, app.bot), database, seed)
    app.bot_data.now = lambda: harness.now
    return harness


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    """The seeded database and a running Application; violations fail the test at the end."""
    seed = await seed_county(database)
    harness = await start_harness(database, seed, FakeBotApi())
    try:
        yield harness
        harness.api.assert_no_violations()
    finally:
        await harness.app.shutdown()


@pytest.fixture
def secretary() -> FakeUser:
    """The secretary of 东村党支部."""
    return FakeUser(1001, "张书记")


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that a press could change (all but the processed update ids), sorted."""
    from sqlalchemy import select

    from storage.models import Answer, Assessment, Claim, Evidence, Invite, RoleGrant

    tables = {
        "answer": select(Answer.assessment_id, Answer.item_id, Answer.level_key),
        "assessment": select(
            Assessment.id,
            Assessment.state,
            Assessment.current_item_id,
            Assessment.version,
            Assessment.declared_stars,
        ),
        "claim": select(Claim.id, Claim.kind, Claim.points_claimed, Claim.reason),
        "evidence": select(Evidence.item_id, Evidence.file_unique_id),
        "invite": select(Invite.id, Invite.redeemed_by),
        "role_grant": select(RoleGrant.person_id, RoleGrant.org_id, RoleGrant.revoked_at),
    }
    return await database.run(
        lambda session: {
            name: sorted(tuple(row) for row in session.execute(query).all())
            for name, query in tables.items()
        }
    )
