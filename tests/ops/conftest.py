"""The real Application in webhook mode on the fake Bot API, reached through an ASGI transport.

`webhook` runs the Application the way `pingxing run` does in webhook mode (`running`), on the
seeded county of the conversation tests, and gives an httpx client that talks to the starlette
app in this process: no socket, no network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.offline import FakeBotApi, FakeUser, UpdateFactory
from bot.server.metrics import CountingRequest, Metrics
from bot.server.webhook import SECRET_HEADER, create_webhook_app, running
from storage.database import Database
from tests.handlers.conftest import Seed, offline_settings, seed_county

SECRET = "s3cret-Token_for-tests"
WEBHOOK_URL = "https://bot.example.org/telegram/hook"
WEBHOOK_PATH = "/telegram/hook"


@dataclass
class Webhook:
    """The running bot behind its webhook, and what a test needs to speak to it."""

    client: httpx.AsyncClient
    app: Application[Any, Any, Any, Any, Any, Any]
    api: FakeBotApi
    updates: UpdateFactory
    database: Database
    seed: Seed
    metrics: Metrics

    async def post(self, update: Update, secret: str | None = SECRET) -> httpx.Response:
        """Posts `update` as Telegram would, with `secret` in the header (none when None)."""
        headers = {} if secret is None else {SECRET_HEADER: secret}
        return await self.client.post(WEBHOOK_PATH, content=update.to_json(), headers=headers)

    async def start(self, user: FakeUser, branch: str = "东村党支部") -> httpx.Response:
        """The user opens the branch's invite link (`/start <code>`) through the webhook."""
        return await self.post(self.updates.message(user, f"/start {self.seed.codes[branch]}"))

    def sent_to(self, user: FakeUser) -> list[str]:
        """The texts of the bot's messages in the user's chat, oldest first."""
        return [message.text or "" for message in self.api.chat_messages(user.id)]


@pytest.fixture
async def webhook(database: Database) -> AsyncIterator[Webhook]:
    """The seeded county's bot in webhook mode; Bot API violations fail the test at the end."""
    seed = await seed_county(database)
    api = FakeBotApi()
    metrics = Metrics()
    app = build_application(
        offline_settings(), request=CountingRequest(api, metrics), database=database
    )
    web_app = create_webhook_app(
        app, path=WEBHOOK_PATH, secret=SECRET, metrics=metrics, webhook_url=WEBHOOK_URL
    )
    async with running(app, metrics=metrics, webhook_url=WEBHOOK_URL, secret=SECRET):
        transport = httpx.ASGITransport(app=web_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
            yield Webhook(client, app, api, UpdateFactory(api, app.bot), database, seed, metrics)
    api.assert_no_violations()


@pytest.fixture
def secretary() -> FakeUser:
    """The secretary of 东村党支部."""
    return FakeUser(1001, "张书记")
