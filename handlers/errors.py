"""The one error handler: log with the traceback (token removed), tell the user plainly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError

from handlers.catalogue import text
from handlers.context import Context

__all__ = ["handle_error", "is_harmless_bad_request"]

logger = logging.getLogger(__name__)

# Bot API answers that mean "nothing to do", not "something broke": the user tapped a button
# twice so the card is unchanged, or answered a callback query after its 15-second window.
_HARMLESS_BAD_REQUESTS = (
    "message is not modified",
    "query is too old",
    "query id is invalid",
)


def is_harmless_bad_request(error: BaseException) -> bool:
    """Tells whether `error` is a BadRequest that only says the request was pointless or late."""
    if not isinstance(error, BadRequest):
        return False
    message = error.message.lower()
    return any(harmless in message for harmless in _HARMLESS_BAD_REQUESTS)


async def handle_error(update: object, context: Context) -> None:
    """Logs an unexpected error with its traceback and tells the user something went wrong."""
    error = context.error
    if error is None:
        return
    if is_harmless_bad_request(error):
        logger.debug("ignored harmless Bot API answer: %s", error)
        return
    # The token can appear in a traceback (PTB puts it in request URLs): the redacting filter
    # `bot.logs.configure_logging` puts on every root handler removes it.
    logger.error(
        "update %s failed",
        update.update_id if isinstance(update, Update) else update,
        exc_info=error,
    )
    if isinstance(update, Update):
        await _tell_user(update, context)


async def _tell_user(update: Update, context: Context) -> None:
    """Answers the pending callback query and sends the plain apology (best effort)."""
    apology = text("errors.unexpected")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(apology, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, apology)
    except TelegramError as error:
        # The user blocked the bot or the query expired: nobody left to tell.
        logger.warning("could not tell the user about an error: %s", error)
