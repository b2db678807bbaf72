"""The Bot API's limits that live only in its prose, as checks on a request.

The machine-readable description gives types and required fields; the limits that make Telegram
answer 400 ("1-4096 characters after entities parsing", "1-64 bytes", ...) are sentences in the
field descriptions. Each constant below cites the sentence it comes from. ``spec.py`` calls these
checks; they return problems in the same "path: what (value ...)" form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.offline.spec import FieldSpec

__all__ = ["OBJECT_RULES", "check_edit_target", "check_limits", "problem", "stored_text"]

# Limits the description states only in prose; each cites the field description it comes from.
TEXT_LIMIT = 4096  # sendMessage.text: "1-4096 characters after entities parsing"
CAPTION_LIMIT = 1024  # sendPhoto.caption: "0-1024 characters after entities parsing"
CALLBACK_DATA_BYTES = 64  # InlineKeyboardButton.callback_data: "1-64 bytes"
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery.text: "0-200 characters"
COMMAND_LENGTH = 32  # BotCommand.command: "1-32 characters ... lowercase English letters, ..."
COMMAND_DESCRIPTION_LIMIT = 256  # BotCommand.description: "1-256 characters"
COMMANDS_LIMIT = 100  # setMyCommands.commands: "At most 100 commands can be specified."

# InlineKeyboardButton: "Exactly one of the fields other than text, icon_custom_emoji_id, and
# style must be used to specify the type of the button."
_BUTTON_NON_ACTION_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
_COMMAND_PATTERN = re.compile(r"[a-z0-9_]+")
_TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
_PLAIN_TEXT_ONLY = "not modelled by the offline Bot API, which takes plain text only"
_VALUE_PREVIEW = 60


def _preview(value: Any) -> str:
    """A short repr for messages: long texts are cut so a violation stays readable."""
    text = repr(value)
    if len(text) > _VALUE_PREVIEW:
        return f"{text[:_VALUE_PREVIEW]}...'"
    return text


def problem(path: str, what: str, value: Any) -> str:
    """One violation: where, what is wrong, and the offending value."""
    return f"{path}: {what} (value {_preview(value)})"


def check_edit_target(
    method: str, fields: Mapping[str, FieldSpec], params: Mapping[str, Any]
) -> list[str]:
    """Edit methods take chat_id + message_id, or inline_message_id ("Required if ...")."""
    if not {"chat_id", "message_id", "inline_message_id"} <= fields.keys():
        return []
    if fields["chat_id"].required:
        return []
    has_chat_message = "chat_id" in params and "message_id" in params
    has_inline = "inline_message_id" in params
    if has_inline and ("chat_id" in params or "message_id" in params):
        return [
            problem(
                f"{method}.inline_message_id",
                "given together with chat_id/message_id; use one or the other",
                params["inline_message_id"],
            )
        ]
    if not has_chat_message and not has_inline:
        given = {key: params[key] for key in ("chat_id", "message_id") if key in params}
        return [
            problem(
                f"{method}.chat_id+message_id",
                "required if inline_message_id is not specified",
                given,
            )
        ]
    return []


def check_limits(method: str, params: Mapping[str, Any]) -> list[str]:
    """The limits of a method's own parameters: text, caption, answer text, commands."""
    problems: list[str] = []
    if "parse_mode" in params:
        # The bot sends plain text; the fake could not tell what Telegram makes of markup.
        problems.append(problem(f"{method}.parse_mode", _PLAIN_TEXT_ONLY, params["parse_mode"]))
    if method in _TEXT_METHODS and isinstance(params.get("text"), str):
        problems.extend(_check_length(f"{method}.text", params["text"], 1, TEXT_LIMIT))
    if isinstance(params.get("caption"), str):
        problems.extend(_check_length(f"{method}.caption", params["caption"], 0, CAPTION_LIMIT))
    if method == "answerCallbackQuery" and isinstance(params.get("text"), str):
        text = params["text"]
        if len(text) > CALLBACK_ANSWER_LIMIT:
            problems.append(
                problem(
                    f"{method}.text",
                    f"{len(text)} characters, allowed 0-{CALLBACK_ANSWER_LIMIT}",
                    text,
                )
            )
    if method == "setMyCommands" and isinstance(params.get("commands"), list):
        count = len(params["commands"])
        if count > COMMANDS_LIMIT:
            problems.append(
                problem(f"{method}.commands", f"{count} commands, at most {COMMANDS_LIMIT}", count)
            )
    return problems


def _check_length(path: str, text: str, minimum: int, maximum: int) -> list[str]:
    """Checks a plain text or caption's length as Telegram measures it (outer spaces dropped)."""
    length = len(stored_text(text))
    if length < minimum:
        return [problem(path, "empty after entity parsing and whitespace stripping", text)]
    if length > maximum:
        return [
            problem(
                path,
                f"{length} characters after entity parsing, allowed {minimum}-{maximum}",
                text,
            )
        ]
    return []


def stored_text(text: str) -> str:
    """A text or caption as Telegram stores it: without leading and trailing whitespace."""
    return text.strip()


def _check_button(path: str, button: Mapping[str, Any]) -> list[str]:
    """InlineKeyboardButton: non-empty text, one action, callback data of 1-64 bytes."""
    problems: list[str] = []
    text = button.get("text")
    if isinstance(text, str) and not text.strip():
        problems.append(problem(f"{path}.text", "button text must not be empty", text))
    actions = sorted(set(button) - _BUTTON_NON_ACTION_FIELDS)
    if len(actions) != 1:
        problems.append(
            problem(path, f"needs exactly one action field, has {len(actions)}", actions)
        )
    data = button.get("callback_data")
    if isinstance(data, str):
        size = len(data.encode("utf-8"))
        if not 1 <= size <= CALLBACK_DATA_BYTES:
            problems.append(
                problem(
                    f"{path}.callback_data",
                    f"{size} bytes in UTF-8, allowed 1-{CALLBACK_DATA_BYTES}",
                    data,
                )
            )
    return problems


def _check_bot_command(path: str, command: Mapping[str, Any]) -> list[str]:
    """BotCommand: a lowercase name of 1-32 characters and a description of 1-256."""
    problems: list[str] = []
    name = command.get("command")
    if isinstance(name, str) and not (
        1 <= len(name) <= COMMAND_LENGTH and _COMMAND_PATTERN.fullmatch(name)
    ):
        problems.append(
            problem(
                f"{path}.command",
                f"must be 1-{COMMAND_LENGTH} of lowercase letters, digits and underscores",
                name,
            )
        )
    description = command.get("description")
    if isinstance(description, str) and not 1 <= len(description) <= COMMAND_DESCRIPTION_LIMIT:
        problems.append(
            problem(
                f"{path}.description",
                f"{len(description)} characters, allowed 1-{COMMAND_DESCRIPTION_LIMIT}",
                description,
            )
        )
    return problems


OBJECT_RULES: dict[str, Callable[[str, Mapping[str, Any]], list[str]]] = {
    "InlineKeyboardButton": _check_button,
    "BotCommand": _check_bot_command,
}
