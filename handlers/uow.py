"""The unit of work every update goes through: one transaction, then the replies.

    begin → mark the update processed (a re-delivered update stops here) → the flow's action
    (load who the user is, validate, write, decide the replies) → commit → send the replies

The database part is one synchronous function run by `Database.run` (on SQLite: one hop to the
database's thread; see `storage.database`), so flow actions are plain functions of a `Work`
whose `session` is a synchronous ORM session. Sending happens back on the event loop.

Nothing is sent before the commit, so a reply never claims something the database does not
hold; if the commit fails the user is told it was not saved. Every callback query is answered
exactly once, whatever happened.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InputFile, Message, Update
from telegram.error import BadRequest

from handlers.cards import Screen
from handlers.catalogue import text
from handlers.context import BotState, Context
from handlers.errors import is_harmless_bad_request
from storage.repositories.updates import mark_update_processed

__all__ = [
    "AnswerQuery",
    "EditMessage",
    "Reply",
    "SendMessage",
    "SendPhoto",
    "Work",
    "run_unit_of_work",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerQuery:
    """Answers the callback query, optionally with a toast (or an alert)."""

    text: str | None = None
    alert: bool = False


@dataclass(frozen=True)
class EditMessage:
    """Edits a message in place (the item card).

    `screen` may be a function that renders it: the card is then drawn after the commit, on the
    event loop, from data read in the transaction, which keeps the database's thread (the queue
    every update waits in) for database work.
    """

    chat_id: int
    message_id: int
    screen: Screen | Callable[[], Screen]

    def rendered(self) -> Screen:
        """The screen, rendering it now if it was given as a function."""
        return self.screen if isinstance(self.screen, Screen) else self.screen()


@dataclass(frozen=True)
class SendMessage:
    """Sends a new message; `on_sent` runs with it afterwards (e.g. to remember a new card)."""

    chat_id: int
    screen: Screen
    on_sent: Callable[[Message], Awaitable[None]] | None = None


@dataclass(frozen=True)
class SendPhoto:
    """Sends a picture drawn after the commit, in a worker thread (the summary chart).

    Drawing takes tens of milliseconds; doing it after the commit keeps the database's write
    lock short, and the thread keeps other users' presses flowing meanwhile.
    """

    chat_id: int
    draw: Callable[[], bytes]
    filename: str = "chart.png"


Reply = AnswerQuery | EditMessage | SendMessage | SendPhoto


@dataclass
class Work:
    """One update's transaction and the replies decided inside it.

    Attributes:
        session: the open transaction; flows read and write through storage with it.
        state: the bot's shared state (clock, timezone, rubric cache).
        update: the update being handled.
        now: the instant the update is handled at (aware UTC), one value for all its writes.
        replies: what to send once the transaction has committed, in order.
    """

    session: Session
    state: BotState
    update: Update
    now: datetime
    replies: list[Reply] = field(default_factory=list)

    @property
    def telegram_id(self) -> int:
        """The numeric id of the user who sent the update."""
        user = self.update.effective_user
        if user is None:
            raise ValueError(f"update {self.update.update_id} has no user")
        return user.id

    @property
    def chat_id(self) -> int:
        """The chat the update came from (a private chat with the secretary)."""
        chat = self.update.effective_chat
        if chat is None:
            raise ValueError(f"update {self.update.update_id} has no chat")
        return chat.id

    def reply(self, *replies: Reply) -> None:
        """Queues replies for after the commit."""
        self.replies.extend(replies)

    def say(self, key: str, **params: Any) -> None:
        """Queues a plain message with a catalogue text; a toast when the update is a press."""
        if self.update.callback_query is not None:
            self.reply(AnswerQuery(text(key, **params), alert=True))
        else:
            self.reply(SendMessage(self.chat_id, Screen(text(key, **params))))

    def refuse(self) -> None:
        """Queues the plain refusal of something the user cannot do here (forged, unknown)."""
        self.say("common.refused")


Action = Callable[[Work], None]


async def run_unit_of_work(update: Update, context: Context, action: Action) -> None:
    """Runs `action` in one transaction for `update`, then sends the replies it queued.

    Args:
        update: the incoming update.
        context: the callback context (its `bot_data` holds the database and the clock).
        action: the flow's work, a synchronous function (it runs where the database runs); it
            queues replies on the `Work` it receives.
    """
    state = context.bot_data
    now = state.now()

    def unit(session: Session) -> list[Reply]:
        work = Work(session, state, update, now)
        if not mark_update_processed(session, update.update_id, now):
            # Telegram re-delivered an update we already committed: change nothing.
            logger.info("update %s already processed", update.update_id)
            return []
        action(work)
        return work.replies

    try:
        replies = await state.require_database().run(unit)
    except SQLAlchemyError:
        logger.exception("update %s not saved", update.update_id)
        await _send_replies(update, context, [_not_saved(update)])
        return
    await _send_replies(update, context, replies)


def _not_saved(update: Update) -> Reply:
    """The reply telling the user their last action was not stored."""
    if update.callback_query is not None:
        return AnswerQuery(text("common.not_saved"), alert=True)
    chat = update.effective_chat
    return SendMessage(chat.id if chat else 0, Screen(text("common.not_saved")))


async def _send_replies(update: Update, context: Context, replies: list[Reply]) -> None:
    """Sends the replies in order, answering the callback query first and exactly once."""
    query = update.callback_query
    if query is not None:
        toast = next((reply for reply in replies if isinstance(reply, AnswerQuery)), None)
        toast = toast or AnswerQuery()
        await _tolerant(query.answer(toast.text, show_alert=toast.alert if toast.text else None))
    for reply in replies:
        if isinstance(reply, EditMessage):
            screen = reply.rendered()
            await _tolerant(
                context.bot.edit_message_text(
                    screen.text,
                    chat_id=reply.chat_id,
                    message_id=reply.message_id,
                    reply_markup=screen.keyboard,
                )
            )
        elif isinstance(reply, SendMessage):
            message = await context.bot.send_message(
                reply.chat_id, reply.screen.text, reply_markup=reply.screen.keyboard
            )
            if reply.on_sent is not None:
                await reply.on_sent(message)
        elif isinstance(reply, SendPhoto):
            picture = await asyncio.to_thread(reply.draw)
            await context.bot.send_photo(
                reply.chat_id, InputFile(picture, filename=reply.filename)
            )


async def _tolerant(call: Awaitable[object]) -> None:
    """Awaits a Bot API call, ignoring "not modified" and "query is too old" answers."""
    try:
        await call
    except BadRequest as error:
        if not is_harmless_bad_request(error):
            raise
