"""One log line per update: its id, the user and the handler that will take it.

Registered in a group before the flows (`bot.app`), so every update is logged once, in polling
and in webhook mode alike, before its handler runs. The line holds ids and a handler's name,
never the update's text (an invite code would be in it).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler

from handlers.context import Context

__all__ = ["LOG_GROUP", "handler_name", "log_update"]

logger = logging.getLogger("pingxing.updates")

# PTB runs the groups in ascending order (the flows are in group 0) and only the first handler
# that matches within a group: a group of its own, well before any other, so it never takes an
# update from a handler added to an earlier group than the flows'.
LOG_GROUP = -100


def handler_name(application: Application[Any, Any, Any, Any, Any, Any], update: Update) -> str:
    """The `module.callback` of the first flow handler that takes `update`, or `none`."""
    for handler in application.handlers.get(0, []):
        if _takes(handler, update):
            callback = handler.callback
            module = callback.__module__.rpartition(".")[2]
            return f"{module}.{getattr(callback, '__name__', type(callback).__name__)}"
    return "none"


def _takes(handler: BaseHandler[Any, Any, Any], update: Update) -> bool:
    """Whether `handler` would take `update` (PTB's check: None or False means no)."""
    check = handler.check_update(update)
    return check is not None and check is not False


async def log_update(update: Update, context: Context) -> None:
    """Logs the update's id, its user's id and the handler that will take it."""
    user = update.effective_user
    logger.info(
        "update %s user %s handler %s",
        update.update_id,
        user.id if user is not None else "none",
        handler_name(context.application, update),
    )
