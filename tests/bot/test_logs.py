"""No log record carries the bot token, an invite code or a file URL, whoever logs it."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import TypeHandler

from bot.app import build_application
from bot.logs import RedactingFilter, configure_logging, redact_secrets
from bot.offline import FakeBotApi, FakeUser, UpdateFactory
from bot.polling import TokenWatch, poll
from bot.settings import Settings
from storage.database import create_database
from tests.handlers.conftest import seed_county

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
SECRET_HALF = TOKEN.partition(":")[2]
CODE = "Q2hlY2tUaGVDb2RlSXNSZWQ"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"The token `{TOKEN}` was rejected", "The token `[redacted]` was rejected"),
        (
            f"Set Bot API File URL: https://api.telegram.org/file/bot{TOKEN}",
            "Set Bot API File URL: [redacted]",
        ),
        (
            f"POST https://api.telegram.org/bot{TOKEN}/getMe failed",
            "POST https://api.telegram.org/bot[redacted]/getMe failed",
        ),
        (f"text='/start {CODE}', entities", "text='/start [redacted]', entities"),
        (f'"text": "/start@pingxing_bot {CODE}"', '"text": "/start@pingxing_bot [redacted]"'),
        (
            f"invite: https://t.me/pingxing_bot?start={CODE}",
            "invite: https://t.me/pingxing_bot?start=[redacted]",
        ),
        ("update 42 handled by record_answer", "update 42 handled by record_answer"),
    ],
)
def test_redact_secrets_removes_tokens_codes_and_file_urls(message: str, expected: str) -> None:
    assert redact_secrets(message) == expected


def test_the_filter_redacts_arguments_tracebacks_and_keeps_the_record() -> None:
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError as error:
        record = logging.LogRecord(
            "x",
            logging.ERROR,
            __file__,
            1,
            "sent %s",
            (f"/start {CODE}",),
            (type(error), error, None),
        )
    kept = RedactingFilter([SECRET_HALF]).filter(record)

    assert kept is True
    assert record.getMessage() == "sent /start [redacted]"
    assert record.exc_text == "ValueError: bad token [redacted]"


@pytest.fixture
def captured_debug_log() -> Iterator[io.StringIO]:
    """Every logger at DEBUG into a string, redacted by `configure_logging` as in a bot run."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        configure_logging(logging.DEBUG, token=TOKEN)
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for other in root.handlers:
            for old in [f for f in other.filters if isinstance(f, RedactingFilter)]:
                other.removeFilter(old)


def polling_bot(sqlite_url: str, api: FakeBotApi) -> tuple[Any, TokenWatch]:
    settings = Settings(_env_file=None, database_url=sqlite_url, bot_token=TOKEN)  # type: ignore[call-arg]
    watch = TokenWatch(api)
    return build_application(settings, request=api, polling_request=watch), watch


async def invite_code(sqlite_url: str) -> str:
    database = create_database(sqlite_url)
    try:
        seed = await seed_county(database)
    finally:
        await database.dispose()
    return seed.codes["东村党支部"]


async def initialize_and_log(application: Any) -> None:
    try:
        await application.initialize()
    except InvalidToken:
        logging.getLogger("telegram.ext.Application").exception("Invalid token. Aborting.")


def test_a_whole_polling_run_at_debug_logs_no_token_code_or_file_url(
    sqlite_url: str, captured_debug_log: io.StringIO
) -> None:
    code = asyncio.run(invite_code(sqlite_url))
    # A token Telegram rejects at start-up: InvalidToken's text holds the token; PTB's
    # `run_polling` logs it with the traceback, as this does.
    rejecting = FakeBotApi()
    rejecting.fail_next("getMe", 401, "Unauthorized")
    rejected, _ = polling_bot(sqlite_url, rejecting)
    asyncio.run(initialize_and_log(rejected))
    # Then a run that binds, takes a photo, fetches its file, and ends on a revoked token.
    api = FakeBotApi()
    application, watch = polling_bot(sqlite_url, api)
    secretary = FakeUser(1001, "张书记")
    factory = UpdateFactory(api, application.bot)
    for update in (
        factory.message(secretary, f"/start {code}"),
        factory.message(secretary, "/assess"),
        factory.photo(secretary),
    ):
        factory.enqueue(update)
    file_urls: list[str] = []

    async def fetch_file_then_revoke(update: Update, context: Any) -> None:
        message = update.effective_message
        if message is not None and message.photo:
            file = await context.bot.get_file(message.photo[-1].file_id)
            file_urls.append(file.file_path)
            logging.getLogger("tests").debug("evidence file %s from %s", file, update)
            api.fail_next("getUpdates", 401, "Unauthorized")
            # Answers the getUpdates already waiting, so the next one meets the 401 at once.
            factory.enqueue(factory.message(secretary, "/help"))

    application.add_handler(TypeHandler(Update, fetch_file_then_revoke), group=1)

    status = poll(application, watch, errors=io.StringIO())

    log = captured_debug_log.getvalue()
    assert status == 2
    assert file_urls and file_urls[0].startswith(f"https://api.telegram.org/file/bot{TOKEN}/")
    assert TOKEN not in log
    assert SECRET_HALF not in log
    assert code not in log
    assert "/file/bot" not in log
    # The lines that carried them are there, redacted: the search above looked at real output.
    assert "The token `[redacted]` was rejected" in log
    assert "/start [redacted]" in log
    assert "File URL: [redacted]" in log


def test_a_bare_process_logs_redacted_lines_at_info_without_httpx_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    stream = io.StringIO()

    configure_logging(logging.INFO, token=TOKEN, stream=stream)
    logging.getLogger("pingxing.test").info("polling with %s", TOKEN)
    logging.getLogger("pingxing.test").debug("not shown at INFO")
    logging.getLogger("httpx").info(
        'HTTP Request: POST https://api.telegram.org/bot.../getMe "200"'
    )

    (line,) = stream.getvalue().splitlines()
    assert line.endswith(" INFO pingxing.test: polling with [redacted]")
    assert root.level == logging.INFO
