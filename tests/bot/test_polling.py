"""A token Telegram rejects, at start-up or while polling, ends `pingxing run` with one line."""

from __future__ import annotations

import io
from typing import Any

import pytest
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.offline import FakeBotApi, FakeUser, UpdateFactory
from bot.polling import (
    EXIT_TOKEN_REJECTED,
    EXIT_UNREACHABLE,
    TOKEN_REJECTED_LINE,
    TokenWatch,
    poll,
)
from bot.settings import Settings

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


def polling_bot(sqlite_url: str, api: FakeBotApi) -> tuple[Any, TokenWatch]:
    """The real application on the fake, polling through a watch, as `pingxing run` builds it."""
    settings = Settings(_env_file=None, database_url=sqlite_url, bot_token=TOKEN)  # type: ignore[call-arg]
    watch = TokenWatch(api)
    return build_application(settings, request=api, polling_request=watch), watch


def test_a_token_revoked_while_polling_ends_the_process_with_one_line(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotApi()
    application, watch = polling_bot(sqlite_url, api)
    secretary = FakeUser(1001, "张书记")
    factory = UpdateFactory(api, application.bot)
    factory.enqueue(factory.message(secretary, "/help"))

    async def revoke_after_first_update(update: Update, context: Any) -> None:
        api.fail_next("getUpdates", 401, "Unauthorized")

    application.add_handler(TypeHandler(Update, revoke_after_first_update), group=-1)
    errors = io.StringIO()

    status = poll(application, watch, errors=errors)

    assert status == EXIT_TOKEN_REJECTED
    assert errors.getvalue() == TOKEN_REJECTED_LINE + "\n"
    assert api.calls_to("sendMessage")[0].params["chat_id"] == secretary.id
    statuses = [
        getattr(call.result_or_error, "status", 200) for call in api.calls_to("getUpdates")
    ]
    assert 401 in statuses
    # Stopped in order: nothing left pending or unretrieved.
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_a_token_rejected_at_start_up_ends_the_process_with_one_line(sqlite_url: str) -> None:
    api = FakeBotApi()
    api.fail_next("getMe", 401, "Unauthorized")
    application, watch = polling_bot(sqlite_url, api)
    errors = io.StringIO()

    status = poll(application, watch, errors=errors)

    assert status == EXIT_TOKEN_REJECTED
    assert errors.getvalue() == TOKEN_REJECTED_LINE + "\n"
    assert api.calls_to("getUpdates") == []


class Offline(FakeBotApi):
    """The fake Bot API behind a network that does not resolve Telegram's host."""

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        raise NetworkError(f"httpx.ConnectError: [Errno -2] Name or service not known ({url})")


def test_telegram_unreachable_at_start_up_ends_the_process_with_one_line(
    sqlite_url: str,
) -> None:
    application, watch = polling_bot(sqlite_url, Offline())
    errors = io.StringIO()

    status = poll(application, watch, errors=errors)

    assert (status, errors.getvalue()) == (
        EXIT_UNREACHABLE,
        "无法连接 Telegram / cannot reach Telegram at start-up (httpx.ConnectError: [Errno -2] "
        "Name or service not known (https://api.telegram.org/bot[redacted]/getMe)): check the "
        "network or the proxy, then start again.\n",
    )
