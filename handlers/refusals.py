"""Presses no flow claims: malformed, forged or left over from an older keyboard.

No callback-data kinds of its own: it catches whatever the other flows' patterns did not.
"""

from __future__ import annotations

import logging

from telegram import Update

from handlers.context import Context
from handlers.uow import Work, run_unit_of_work

__all__ = ["refuse_unknown_button"]

logger = logging.getLogger(__name__)


async def refuse_unknown_button(update: Update, context: Context) -> None:
    """Answers a press of a button no flow knows with the plain refusal; changes nothing."""
    await run_unit_of_work(update, context, _refuse)


def _refuse(work: Work) -> None:
    query = work.update.callback_query
    logger.warning(
        "refused unknown button from %s: %r", work.telegram_id, query.data if query else None
    )
    work.refuse()
