"""How the fake Bot API answers each method a bot uses, with Telegram's own error wording.

One small function per method. Each receives parameters that already passed the spec check, reads
and changes the fake's chat state, and returns the ``result`` Telegram would send, or raises
``ApiRefusal`` with the status and description Telegram answers in that situation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.offline.chat_state import ApiRefusal, ChatMessage, StoredFile, UploadedFile
from bot.offline.spec_limits import stored_text

if TYPE_CHECKING:
    from bot.offline.transport import FakeBotApi

__all__ = ["DOWNLOAD_LIMIT", "UPLOAD_LIMIT", "MethodHandlers"]

# getFile: "files of up to 20MB in size" can be downloaded by a bot.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# "Sending files": a bot uploads at most 50 MB through the Bot API.
UPLOAD_LIMIT = 50 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"

Params = dict[str, Any]
Files = dict[str, UploadedFile]


class MethodHandlers:
    """The per-method behaviour of a ``FakeBotApi``.

    Args:
        api: The fake whose state the methods read and change.
    """

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self._table: dict[str, Callable[[Params, Files], Any]] = {
            "getMe": lambda params, files: self.api.bot_user,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "editMessageCaption": self.edit_message_caption,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
            "getUpdates": lambda params, files: self.api.take_updates(
                params.get("offset"), params.get("limit", 100)
            ),
            "getWebhookInfo": lambda params, files: {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": 0,
            },
        }
        # Settings whose only observable effect is "true"; the fake answers and records them.
        for method in (
            "setWebhook",
            "deleteWebhook",
            "close",
            "logOut",
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setChatMenuButton",
        ):
            self._table[method] = lambda params, files: True

    def handles(self, method: str) -> bool:
        """Whether the fake models ``method``."""
        return method in self._table

    def call(self, method: str, params: Params, files: Files) -> Any:
        """Answers one call; raises ``ApiRefusal`` for an error answer."""
        return self._table[method](params, files)

    # -- commands ------------------------------------------------------------------------------

    def set_my_commands(self, params: Params, files: Files) -> bool:
        """Stores the command list for its scope and language."""
        self.api.commands[_command_key(params)] = params["commands"]
        return True

    def delete_my_commands(self, params: Params, files: Files) -> bool:
        """Drops the command list of a scope and language."""
        self.api.commands.pop(_command_key(params), None)
        return True

    def get_my_commands(self, params: Params, files: Files) -> list[dict[str, Any]]:
        """The command list of a scope and language, empty when none was set."""
        return self.api.commands.get(_command_key(params), [])

    # -- messages ------------------------------------------------------------------------------

    def send_message(self, params: Params, files: Files) -> dict[str, Any]:
        """Stores a new bot message under the chat's next message id."""
        chat_id = self._chat_id(params)
        message = self._new_message(
            chat_id, params, text=stored_text(params["text"]), entities=_entities(params)
        )
        return message.to_dict(self.api.chat(chat_id))

    def edit_message_text(self, params: Params, files: Files) -> dict[str, Any]:
        """Replaces text and keyboard; an omitted keyboard is removed, as Telegram does."""
        message = self._editable(params)
        if message.text is None:
            raise ApiRefusal(400, "Bad Request: there is no text in the message to edit")
        text, entities = stored_text(params["text"]), _entities(params)
        markup = _inline_markup(params)
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiRefusal(400, NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        return self._edited(message)

    def edit_message_reply_markup(self, params: Params, files: Files) -> dict[str, Any]:
        """Replaces the keyboard; an omitted one is removed."""
        message = self._editable(params)
        markup = _inline_markup(params)
        if markup == message.reply_markup:
            raise ApiRefusal(400, NOT_MODIFIED)
        message.reply_markup = markup
        return self._edited(message)

    def edit_message_caption(self, params: Params, files: Files) -> dict[str, Any]:
        """Replaces the caption of a photo or document message."""
        message = self._editable(params)
        if message.photo is None and message.document is None:
            raise ApiRefusal(400, "Bad Request: there is no caption in the message to edit")
        new_caption = stored_text(params.get("caption", "")) or None
        entities = _entities(params, "caption_entities")
        markup = _inline_markup(params)
        current = (message.caption, message.caption_entities, message.reply_markup)
        if (new_caption, entities, markup) == current:
            raise ApiRefusal(400, NOT_MODIFIED)
        message.caption, message.caption_entities, message.reply_markup = (
            new_caption,
            entities,
            markup,
        )
        return self._edited(message)

    def delete_message(self, params: Params, files: Files) -> bool:
        """Removes a message from the chat."""
        chat_id = self._chat_id(params)
        try:
            self.api.remove_message(chat_id, params["message_id"])
        except KeyError:
            raise ApiRefusal(400, "Bad Request: message to delete not found") from None
        return True

    def answer_callback_query(self, params: Params, files: Files) -> bool:
        """Closes a callback query; a second answer is "query is too old", as on Telegram."""
        query_id = params["callback_query_id"]
        if not self.api.close_callback_query(query_id):
            raise ApiRefusal(400, QUERY_TOO_OLD)
        self.api.callback_answers[query_id] = params
        return True

    def send_chat_action(self, params: Params, files: Files) -> bool:
        """Accepts a typing indicator."""
        self._chat_id(params)
        return True

    # -- files ---------------------------------------------------------------------------------

    def send_photo(self, params: Params, files: Files) -> dict[str, Any]:
        """Stores a photo message; an upload becomes a new file Telegram holds."""
        chat_id = self._chat_id(params)
        stored = self._input_file(params, files, "photo", folder="photos", extension=".jpg")
        message = self._new_message(chat_id, params, photo=photo_sizes(stored))
        return message.to_dict(self.api.chat(chat_id))

    def send_document(self, params: Params, files: Files) -> dict[str, Any]:
        """Stores a document message; an upload keeps its file name and MIME type."""
        chat_id = self._chat_id(params)
        stored = self._input_file(params, files, "document", folder="documents")
        upload = _uploaded_part(params, files, "document")
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        if upload is not None:
            document["file_name"] = upload.filename
            document["mime_type"] = upload.mimetype
        message = self._new_message(chat_id, params, document=document)
        return message.to_dict(self.api.chat(chat_id))

    def get_file(self, params: Params, files: Files) -> dict[str, Any]:
        """Answers a file's path for download; over 20 MB is refused as Telegram does."""
        stored = self.api.file(params["file_id"])
        if stored is None:
            raise ApiRefusal(400, "Bad Request: invalid file_id")
        if stored.file_size > DOWNLOAD_LIMIT:
            raise ApiRefusal(400, "Bad Request: file is too big")
        return stored.to_dict()

    # -- helpers -------------------------------------------------------------------------------

    def _chat_id(self, params: Params) -> int:
        raw = params["chat_id"]
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiRefusal(400, "Bad Request: chat not found") from None
        refusal = self.api.chat_refusal(chat_id)
        if refusal is not None:
            raise ApiRefusal(refusal.status, refusal.description)
        return chat_id

    def _editable(self, params: Params) -> ChatMessage:
        if "inline_message_id" in params:
            # The bot here sends no inline-mode messages, so none can be found.
            raise ApiRefusal(400, "Bad Request: message to edit not found")
        chat_id = self._chat_id(params)
        try:
            message = self.api.stored_message(chat_id, params["message_id"])
        except LookupError:
            raise ApiRefusal(400, "Bad Request: message to edit not found") from None
        if not message.from_bot:
            raise ApiRefusal(400, "Bad Request: message can't be edited")
        return message

    def _edited(self, message: ChatMessage) -> dict[str, Any]:
        message.edit_date = self.api.now()
        return message.to_dict(self.api.chat(message.chat_id))

    def _new_message(self, chat_id: int, params: Params, **content: Any) -> ChatMessage:
        if "caption" in params:
            content["caption"] = stored_text(params["caption"]) or None
            content["caption_entities"] = _entities(params, "caption_entities")
        message = ChatMessage(
            chat_id=chat_id,
            message_id=0,
            date=self.api.now(),
            sender=self.api.bot_user,
            from_bot=True,
            reply_markup=_inline_markup(params),
            **content,
        )
        return self.api.add_message(message)

    def _input_file(
        self, params: Params, files: Files, name: str, *, folder: str, extension: str = ""
    ) -> StoredFile:
        """The file behind an InputFile parameter: an upload, a known file_id, or a URL."""
        upload = _uploaded_part(params, files, name)
        if upload is not None:
            if len(upload.content) > UPLOAD_LIMIT:
                raise ApiRefusal(413, "Request Entity Too Large")
            return self.api.add_file(
                len(upload.content), folder=folder, extension=extension, content=upload.content
            )
        reference = params[name]
        stored = self.api.file(reference)
        if stored is not None:
            return stored
        if reference.startswith(("http://", "https://")):
            return self.api.add_file(0, folder=folder, extension=extension)
        raise ApiRefusal(400, "Bad Request: wrong file identifier/HTTP URL specified")


def photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
    """The ``PhotoSize`` list Telegram answers for a photo: a thumbnail, then the original."""
    return [
        {
            "file_id": f"{stored.file_id}-s",
            "file_unique_id": f"{stored.file_unique_id}-s",
            "width": 90,
            "height": 67,
            "file_size": min(stored.file_size, 1_500),
        },
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": 1280,
            "height": 960,
            "file_size": stored.file_size,
        },
    ]


def _uploaded_part(params: Params, files: Files, name: str) -> UploadedFile | None:
    reference = params.get(name)
    if isinstance(reference, str) and reference.startswith("attach://"):
        return files.get(reference.removeprefix("attach://"))
    return files.get(name)


def _entities(params: Params, field: str = "entities") -> tuple[dict[str, Any], ...]:
    """The explicit entities a text or caption was sent with (the bot sends none)."""
    return tuple(params.get(field) or ())


def _inline_markup(params: Params) -> dict[str, Any] | None:
    """The inline keyboard a message keeps; other reply markups are not part of the message."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def _command_key(params: Params) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code", "")], sort_keys=True)
