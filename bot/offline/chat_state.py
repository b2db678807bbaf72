"""What the fake Bot API remembers: messages per chat, files, and the record of calls.

These are plain data holders; ``FakeBotApi`` in ``transport.py`` owns the rules that change them.
Tests read them through ``api.chat_messages(chat_id)``, ``api.last_message(chat_id)`` and
``api.calls``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiCall",
    "ApiError",
    "ApiRefusal",
    "Button",
    "ChatMessage",
    "StoredFile",
    "UploadedFile",
]


@dataclass(frozen=True)
class ApiError:
    """An error answer, shaped like Telegram's JSON error body."""

    status: int
    description: str
    retry_after: int | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class ApiRefusal(Exception):
    """Raised inside the fake to answer a call with an error instead of a result."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error = ApiError(status, description, retry_after)


@dataclass(frozen=True)
class UploadedFile:
    """One multipart part of a request: a file the bot uploaded."""

    field: str
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made and what the fake answered.

    Attributes:
        method: The Bot API method, e.g. ``"sendMessage"``.
        params: The decoded JSON parameters.
        files: Uploaded parts by part name (``"photo"``, or ``"attached..."`` for attach://).
        result_or_error: The ``result`` the fake answered, or an ``ApiError``.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    result_or_error: Any

    @property
    def ok(self) -> bool:
        """Whether the fake answered with success."""
        return not isinstance(self.result_or_error, ApiError)


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as a test sees it."""

    text: str
    callback_data: str | None
    url: str | None = None


@dataclass
class ChatMessage:
    """A message in a chat as Telegram currently holds it (after edits).

    ``text``/``caption`` are stored as Telegram stores them, without outer whitespace; explicit
    entities are kept as sent.
    """

    chat_id: int
    message_id: int
    date: int
    sender: dict[str, Any]
    from_bot: bool
    text: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    caption: str | None = None
    caption_entities: tuple[dict[str, Any], ...] = ()
    reply_markup: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    edit_date: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def keyboard(self) -> list[list[Button]]:
        """The inline keyboard, row by row; empty when the message has none."""
        if not self.reply_markup:
            return []
        return [
            [Button(raw.get("text", ""), raw.get("callback_data"), raw.get("url")) for raw in row]
            for row in self.reply_markup.get("inline_keyboard", [])
        ]

    @property
    def buttons(self) -> list[Button]:
        """Every inline button, rows flattened in reading order."""
        return [button for row in self.keyboard for button in row]

    def callback_data(self, label: str) -> str:
        """The callback data of the button labelled ``label``.

        Raises:
            LookupError: No button has that label (the message lists the labels it has).
        """
        for button in self.buttons:
            if button.text == label and button.callback_data is not None:
                return button.callback_data
        labels = [button.text for button in self.buttons]
        raise LookupError(f"no button {label!r} on message {self.message_id}; labels: {labels}")

    def to_dict(self, chat: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``Message`` object for this message.

        Args:
            chat: The ``Chat`` object of the chat the message lives in.
        """
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": self.sender,
        }
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = [dict(entity) for entity in self.entities]
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = [dict(entity) for entity in self.caption_entities]
        if self.photo is not None:
            data["photo"] = [dict(size) for size in self.photo]
        if self.document is not None:
            data["document"] = dict(self.document)
        if self.reply_markup is not None:
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        data.update(self.extra)
        return data


@dataclass
class StoredFile:
    """A file Telegram holds: one the user sent, or one the bot uploaded."""

    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str
    content: bytes | None = None

    def read(self) -> bytes:
        """The file's bytes; a deterministic filler of ``file_size`` bytes when none were given."""
        if self.content is not None:
            return self.content
        seed = self.file_unique_id.encode("utf-8") or b"0"
        return (seed * (self.file_size // len(seed) + 1))[: self.file_size]

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``File`` object, as getFile answers."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }
