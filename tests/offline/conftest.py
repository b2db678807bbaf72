"""A real PTB Application wired to the fake Bot API, for the transport's own tests."""

from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application, ApplicationBuilder

from bot.offline import FakeBotApi, FakeUser, UpdateFactory

TOKEN = "123456:TEST"


@pytest.fixture
def api() -> FakeBotApi:
    return FakeBotApi(
        bot_username="pingxing_bot", bot_id=7_000_000_001, clock=lambda: 1_800_000_000
    )


@pytest.fixture
async def application(api: FakeBotApi) -> AsyncIterator[Application]:
    built = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    await built.initialize()
    yield built
    await built.shutdown()


@pytest.fixture
def updates(api: FakeBotApi, application: Application) -> UpdateFactory:
    return UpdateFactory(api, application.bot)


@pytest.fixture
def secretary() -> FakeUser:
    return FakeUser(1001, "张书记", username="zhang_shuji")
