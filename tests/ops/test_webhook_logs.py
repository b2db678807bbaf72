"""A webhook run with every logger at DEBUG logs no token, secret, invite code or file URL."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.app import build_application
from bot.logs import RedactingFilter
from bot.offline import FakeBotApi, FakeUser, UpdateFactory
from bot.server.metrics import CountingRequest, Metrics
from bot.server.webhook import SECRET_HEADER, create_webhook_app, running
from bot.settings import Settings
from storage.database import Database
from tests.bot.test_logs import TOKEN, captured_debug_log
from tests.handlers.conftest import seed_county

__all__ = ["captured_debug_log"]  # the fixture this module's own builds on
SECRET = "WebhookSecret_4f1c9a"
URL = "https://bot.example.org/hook"


@pytest.fixture
def debug_log(captured_debug_log: io.StringIO) -> Iterator[io.StringIO]:
    """The redacted DEBUG log of `pingxing run` in webhook mode, with every logger at DEBUG.

    Builds on the polling test's capture: the webhook secret joins the redacted strings, as
    `pingxing run` adds it, and loggers that set their own level (httpx) are lowered too.
    """
    for handler in logging.getLogger().handlers:
        for redacting in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            redacting.secrets += (SECRET,)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield captured_debug_log
    finally:
        for logger, old_level in zip(loggers, levels, strict=True):
            logger.setLevel(old_level)


async def test_a_webhook_run_at_debug_logs_no_token_secret_code_or_file_url(
    database: Database, debug_log: io.StringIO
) -> None:
    seed = await seed_county(database)
    code = seed.codes["东村党支部"]
    api = FakeBotApi()
    metrics = Metrics()
    settings = Settings(_env_file=None, bot_token=TOKEN)  # type: ignore[call-arg]
    app = build_application(settings, request=CountingRequest(api, metrics), database=database)
    web_app = create_webhook_app(
        app, path="/hook", secret=SECRET, metrics=metrics, webhook_url=URL
    )
    secretary = FakeUser(1001, "张书记")
    updates = UpdateFactory(api, app.bot)
    transport = httpx.ASGITransport(app=web_app)
    async with (
        running(app, metrics=metrics, webhook_url=URL, secret=SECRET),
        httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client,
    ):

        async def post(update: Any, secret: str = SECRET) -> None:
            await client.post("/hook", content=update.to_json(), headers={SECRET_HEADER: secret})

        await post(updates.message(secretary, f"/start {code}"))
        await post(updates.message(secretary, "/assess"))
        await post(updates.press_button(secretary, api.last_message(secretary.id), "完全做到"))
        photo = updates.photo(secretary)
        await post(photo)
        await post(updates.message(secretary, "/help"), secret=SECRET + "-forged")
        file = await app.bot.get_file(photo.message.photo[-1].file_id)
        logging.getLogger("tests").debug("evidence file %s", file)

    log = debug_log.getvalue()
    assert file.file_path is not None and TOKEN in file.file_path
    leaks = [secret for secret in (TOKEN, TOKEN.partition(":")[2], SECRET, code) if secret in log]
    assert leaks == []
    assert "/file/bot" not in log
    # The records that held them were written, redacted: the search read real output.
    assert "'secret_token': '[redacted]'" in log
    assert f"update {photo.update_id} user 1001 handler evidence.receive_file" in log
    assert "update 1 user 1001 handler binding.start" in log
