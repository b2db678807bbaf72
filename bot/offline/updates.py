"""Builds the ``telegram.Update`` objects Telegram would deliver, for tests and the demo.

``UpdateFactory`` works with a ``FakeBotApi``: a user's message takes the chat's next message id in
the fake, a button press carries the pressed message *as the fake holds it now* (so a stale
keyboard can be pressed, and the bot sees the current text), a callback query id is opened in the
fake so the bot can answer it exactly once, and files sent by the user are registered so getFile
works. Update ids increase from one update to the next; ``re_deliver`` repeats one.

Example::

    secretary = FakeUser(1001, "张书记")
    updates = UpdateFactory(api, application.bot)
    await application.process_update(updates.message(secretary, "/start ABCD1234"))
    item = api.last_message(secretary.id)
    await application.process_update(updates.press_button(secretary, item, "完全做到"))
    await application.process_update(updates.press(secretary, item, "forged:data"))
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update

from bot.offline.chat_state import ChatMessage
from bot.offline.methods import photo_sizes
from bot.offline.transport import FakeBotApi

__all__ = ["FakeUser", "UpdateFactory"]


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id = user id)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str = "zh-hans"

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.username:
            data["username"] = self.username
        if self.last_name:
            data["last_name"] = self.last_name
        return data


class UpdateFactory:
    """Makes updates for one fake Bot API and one bot.

    Args:
        api: The fake the bot talks to; it holds the chats the updates refer to.
        bot: The bot the updates are bound to (``application.bot``), so shortcuts such as
            ``update.callback_query.answer()`` work.
        first_update_id: The id of the first update.
        check: Check every update against the Bot API's ``Update`` type (a benchmark may turn
            this off to measure the bot rather than the factory).
    """

    def __init__(
        self, api: FakeBotApi, bot: Bot, first_update_id: int = 1, *, check: bool = True
    ) -> None:
        self.api = api
        self.bot = bot
        self.check = check
        self._next_update_id = first_update_id
        # Each update as its JSON text, so a re-delivery is built afresh from the same bytes.
        self._delivered: dict[int, str] = {}

    def message(self, user: FakeUser, text: str) -> Update:
        """A text message in the user's private chat; a leading ``/command`` is marked up."""
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            extra["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_length(command)}
            ]
        message = self._user_message(user, text=text, entities=tuple(extra.get("entities", ())))
        return self._update({"message": message.to_dict(self.api.chat(user.id))})

    def press(self, user: FakeUser, message: ChatMessage | int, data: str) -> Update:
        """A press of a button carrying ``data`` on a message the fake holds.

        The data is sent as given, whether or not the message's keyboard has it: that is how
        tests forge callback data. Use ``press_button`` to press a button by its label.

        Args:
            user: Who presses.
            message: The message (any snapshot of it) or its id in the user's chat.
            data: The callback data.

        Raises:
            LookupError: The message is not (or no longer) in the chat.
        """
        chat_id, message_id = (
            (message.chat_id, message.message_id)
            if isinstance(message, ChatMessage)
            else (user.id, message)
        )
        self.api.remember_user(user.to_dict())
        current = self.api.message(chat_id, message_id)
        query = {
            "id": self.api.open_callback_query(),
            "from": user.to_dict(),
            "message": current.to_dict(self.api.chat(chat_id)),
            # Stable per chat, as Telegram's is: the same chat gives the same instance.
            "chat_instance": str(abs(hash((self.api.bot_user["id"], chat_id)))),
            "data": data,
        }
        return self._update({"callback_query": query})

    def press_button(self, user: FakeUser, message: ChatMessage | int, label: str) -> Update:
        """A press of the button labelled ``label`` on the message's current keyboard."""
        chat_id, message_id = (
            (message.chat_id, message.message_id)
            if isinstance(message, ChatMessage)
            else (user.id, message)
        )
        current = self.api.message(chat_id, message_id)
        return self.press(user, current, current.callback_data(label))

    def photo(
        self,
        user: FakeUser,
        *,
        file_id: str | None = None,
        file_unique_id: str | None = None,
        file_size: int = 250_000,
        caption: str | None = None,
    ) -> Update:
        """A photo the user sends; the fake then knows the file for getFile."""
        stored = self.api.file(file_id) if file_id else None
        if stored is None:
            stored = self.api.add_file(
                file_size,
                file_id=file_id,
                file_unique_id=file_unique_id,
                folder="photos",
                extension=".jpg",
            )
        message = self._user_message(user, photo=photo_sizes(stored), caption=caption)
        return self._update({"message": message.to_dict(self.api.chat(user.id))})

    def document(
        self,
        user: FakeUser,
        *,
        file_name: str = "材料.pdf",
        mime_type: str = "application/pdf",
        file_size: int = 120_000,
        file_id: str | None = None,
        file_unique_id: str | None = None,
        caption: str | None = None,
    ) -> Update:
        """A document the user sends; the fake then knows the file for getFile."""
        stored = self.api.file(file_id) if file_id else None
        if stored is None:
            stored = self.api.add_file(
                file_size, file_id=file_id, file_unique_id=file_unique_id, folder="documents"
            )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.file_size,
        }
        message = self._user_message(user, document=document, caption=caption)
        return self._update({"message": message.to_dict(self.api.chat(user.id))})

    def re_deliver(self, update: Update) -> Update:
        """The same update again, same id, as Telegram re-sends one it thinks was not received.

        Raises:
            LookupError: The update was not made by this factory.
        """
        try:
            serialized = self._delivered[update.update_id]
        except KeyError:
            raise LookupError(f"update {update.update_id} was not made here") from None
        return Update.de_json(json.loads(serialized), self.bot)

    def enqueue(self, update: Update) -> None:
        """Queues an update made here for the fake's getUpdates, for a polling run."""
        try:
            serialized = self._delivered[update.update_id]
        except KeyError:
            raise LookupError(f"update {update.update_id} was not made here") from None
        self.api.queue_update(json.loads(serialized))

    def _user_message(self, user: FakeUser, **content: Any) -> ChatMessage:
        self.api.remember_user(user.to_dict())
        return self.api.add_message(
            ChatMessage(
                chat_id=user.id,
                message_id=0,
                date=self.api.now(),
                sender=user.to_dict(),
                from_bot=False,
                **content,
            )
        )

    def _update(self, payload: dict[str, Any]) -> Update:
        update_id = self._next_update_id
        self._next_update_id += 1
        data = {"update_id": update_id, **payload}
        if self.check:
            problems = self.api.spec.check_object("Update", data)
            if problems:
                # A test built an update Telegram never sends: fail here, not in the handler.
                raise ValueError("; ".join(problems))
        serialized = json.dumps(data)
        self._delivered[update_id] = serialized
        # PTB gets its own copy, as it would from the wire; the fake's state stays untouched.
        return Update.de_json(json.loads(serialized), self.bot)


def _utf16_length(text: str) -> int:
    """The length of `text` in UTF-16 code units, the unit of the Bot API's entity offsets."""
    return len(text.encode("utf-16-le")) // 2
