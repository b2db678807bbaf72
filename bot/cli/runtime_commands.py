"""`pingxing run` (the bot: long polling or a webhook) and `pingxing demo` (offline)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

__all__ = ["register"]

# Exit code for "usage/configuration error", as in the rest of the command line.
EXIT_CONFIGURATION = 2


def run() -> None:
    """Runs the bot until Ctrl-C or SIGTERM (needs PINGXING_BOT_TOKEN).

    Long polling, or a webhook server when PINGXING_WEBHOOK_URL is set. Exits with status 2,
    saying why in one line, when Telegram rejects the token or the database cannot be opened.
    """
    from pydantic import ValidationError

    from bot.settings import Settings, settings_problems

    try:
        settings = Settings()
    except ValidationError as error:
        for line in settings_problems(error):
            typer.echo(f"设置有误 / invalid setting: {line}", err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None
    if settings.bot_token is None:
        typer.echo(
            "PINGXING_BOT_TOKEN is not set. Put the token from @BotFather in the environment or "
            "in .env (see .env.example).\nTo try the bot without a token, run: pingxing demo",
            err=True,
        )
        raise typer.Exit(EXIT_CONFIGURATION)

    from telegram.request import HTTPXRequest

    from bot.app import build_application
    from bot.cli.admin_support import BadInput, opened
    from storage.database import upgrade_database

    # Checked before Telegram is contacted: a database that cannot be opened is one line, not a
    # traceback out of the application's start-up.
    try:
        asyncio.run(opened(settings.database_url, upgrade_database))
    except BadInput as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(EXIT_CONFIGURATION) from None
    from bot.logs import configure_logging
    from bot.polling import TokenWatch, poll

    # Before the Application is built: PTB logs the Bot API URLs as it creates the Bot.
    redacting = configure_logging(logging.INFO, token=settings.bot_token.get_secret_value())
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        from bot.server.webhook import serve_webhook

        redacting.secrets += (settings.webhook_secret.get_secret_value(),)
        raise typer.Exit(serve_webhook(settings))
    # One connection, as PTB's own default transport for getUpdates.
    watch = TokenWatch(HTTPXRequest(connection_pool_size=1))
    application = build_application(settings, polling_request=watch)
    raise typer.Exit(poll(application, watch))


def demo(
    role: Annotated[
        str,
        typer.Option(
            "--as", help="secretary (self-assess) or town (review the town's submissions)."
        ),
    ] = "secretary",
) -> None:
    """Runs the same bot offline in this terminal, with a sample county (no token needed)."""
    from bot.offline.demo import run_demo

    if role not in ("secretary", "town"):
        typer.echo(f"--as must be secretary or town, got {role!r}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_demo(role=role))


def register(app: typer.Typer) -> None:
    """Adds `run` and `demo` to the command line."""
    app.command("run")(run)
    app.command("demo")(demo)
