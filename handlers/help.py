"""/help: what the bot does and how to use it. (/cancel lives with the claims it cancels.)

No callback-data kinds: a command only.
"""

from __future__ import annotations

from telegram import Update

from handlers.catalogue import text
from handlers.context import Context

__all__ = ["show_help"]


async def show_help(update: Update, context: Context) -> None:
    """Sends the usage notes (read only: no transaction needed)."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text("help.help"))
