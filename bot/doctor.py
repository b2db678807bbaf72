"""`pingxing doctor`: is this installation ready to run? Each check says what to do when not.

The checks, in order (a later one is skipped when it cannot mean anything):

1. the settings parse (done by the caller: a bad setting stops everything);
2. the database is reachable and at the newest migration;
3. the Bot API answers getMe with the configured token (and the username matches);
4. the webhook Telegram holds agrees with the mode pingxing runs in, and its last delivery
   did not fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from telegram import Bot, WebhookInfo
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import BaseRequest

from bot.server.health import check_database
from bot.settings import Settings
from storage.database import create_database
from storage.engine import is_sqlite

__all__ = ["Finding", "diagnose"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """One check's result: what was looked at, whether it is fine, and what it found."""

    topic: str
    ok: bool
    detail: str

    def line(self) -> str:
        """The finding as one line of the report."""
        return f"{'ok     ' if self.ok else 'PROBLEM'} {self.topic}: {self.detail}"


async def diagnose(settings: Settings, *, request: BaseRequest | None = None) -> list[Finding]:
    """Runs every check and returns what each found.

    Args:
        settings: the parsed settings.
        request: the Bot API transport; PTB's own when absent (the tests pass an offline fake).
    """
    findings = [await _check_database(settings.database_url)]
    findings.extend(await _check_bot_api(settings, request))
    return findings


async def _check_database(url: str) -> Finding:
    """Reachable and migrated; a missing SQLite file is reported, never created."""
    shown = make_url(url).render_as_string(hide_password=True)
    topic = "database"
    if is_sqlite(url):
        path = make_url(url).database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            return Finding(
                topic,
                False,
                f"the SQLite file {path!r} does not exist: create it with `pingxing db upgrade`"
                " (or set PINGXING_DATABASE_URL to the file the bot uses)",
            )
    try:
        database = create_database(url)
    except ValueError as error:
        return Finding(topic, False, f"{error}; fix PINGXING_DATABASE_URL")
    try:
        health = await check_database(database)
    finally:
        await database.dispose()
    if not health.reachable:
        return Finding(
            topic,
            False,
            f"cannot reach {shown} ({health.error}): check PINGXING_DATABASE_URL, that the "
            "server is running and that its user may log in",
        )
    if not health.migrated:
        current = ", ".join(sorted(health.current)) or "none"
        return Finding(
            topic,
            False,
            f"{shown} is at migration {current}, this pingxing needs "
            f"{', '.join(sorted(health.heads))}: run `pingxing db upgrade`",
        )
    return Finding(topic, True, f"{shown} is reachable and migrated")


async def _check_bot_api(settings: Settings, request: BaseRequest | None) -> list[Finding]:
    """getMe with the token, then getWebhookInfo against the mode pingxing runs in."""
    topic = "Bot API"
    if settings.bot_token is None:
        return [
            Finding(
                topic,
                False,
                "PINGXING_BOT_TOKEN is not set: put the token from @BotFather in .env",
            )
        ]
    options: dict[str, object] = {"request": request} if request is not None else {}
    if settings.bot_api_url:
        options["base_url"] = settings.bot_api_url
    where = settings.bot_api_url or "api.telegram.org"
    bot = Bot(settings.bot_token.get_secret_value(), **options)  # type: ignore[arg-type]
    try:
        async with bot:
            me = await bot.get_me()
            webhook = await bot.get_webhook_info()
    except InvalidToken:
        return [Finding(topic, False, "Telegram refused the token: copy it again from @BotFather")]
    except NetworkError as error:
        return [
            Finding(
                topic,
                False,
                f"cannot reach the Bot API at {where} ({type(error).__name__}): check the "
                "network or proxy, or PINGXING_BOT_API_URL",
            )
        ]
    except TelegramError as error:
        return [Finding(topic, False, f"the Bot API answered an error: {error.message}")]
    findings = [_identity(me.username, settings.bot_username, where)]
    findings.append(_webhook_state(webhook, settings))
    return findings


def _identity(actual: str | None, configured: str | None, where: str) -> Finding:
    """The bot's @name as Telegram knows it against PINGXING_BOT_USERNAME."""
    if configured is not None and actual is not None and configured != actual:
        return Finding(
            "Bot API",
            False,
            f"the token belongs to @{actual} but PINGXING_BOT_USERNAME is {configured!r}: "
            "invite links would open another bot; set it to the token's bot",
        )
    return Finding("Bot API", True, f"{where} answers as @{actual}")


def _webhook_state(info: WebhookInfo, settings: Settings) -> Finding:
    """Whether the webhook Telegram holds is the one this mode expects."""
    topic = "webhook"
    if settings.webhook_url is None:
        if info.url:
            return Finding(
                topic,
                False,
                f"Telegram posts updates to {info.url}, but PINGXING_WEBHOOK_URL is not set: "
                "set it to run in webhook mode; polling would remove that webhook",
            )
        return Finding(topic, True, "none set: pingxing run polls")
    if info.url != settings.webhook_url:
        registered = info.url or "no webhook"
        return Finding(
            topic,
            False,
            f"Telegram has {registered}, not {settings.webhook_url}: `pingxing run` registers "
            "it at start; if it is set but another copy polls with this token, stop that copy",
        )
    if info.last_error_message:
        return Finding(
            topic,
            False,
            f"Telegram's last delivery failed ({info.last_error_message}): check that the "
            f"reverse proxy forwards {settings.webhook_path} to {settings.listen} and that "
            "its TLS certificate is valid",
        )
    waiting = info.pending_update_count
    return Finding(topic, True, f"{info.url}, {waiting} updates waiting")
