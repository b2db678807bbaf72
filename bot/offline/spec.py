"""Checks Bot API requests against the published machine-readable description.

``BotApiSpec`` reads ``telegram_api/api.min.json`` (a vendored copy of the description the project
pins, see that directory's README) once, and ``check(method, params)`` lists every way a request
departs from it: an unknown method, a missing required field, an unknown field, a value of the
wrong basic type, and the limits that live only in the description's prose (text length after
entity parsing, caption length, callback data bytes, command names, ...). The fake Bot API runs it
on every call the bot makes, so a request real Telegram would refuse fails a test first.

Example::

    problems = default_spec().check("sendMessage", {"chat_id": 1, "text": ""})
    # ["sendMessage.text: empty after entity parsing and whitespace stripping (value '')"]
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from bot.offline.html_text import HtmlParseError, parse_text

__all__ = ["BotApiSpec", "FieldSpec", "default_spec"]

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
_BASIC_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
_ARRAY_PREFIX = "Array of "
_VALUE_PREVIEW = 60


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or one field of an object type."""

    name: str
    types: tuple[str, ...]
    required: bool
    # For a discriminator field ("type", "source", ...): the one value the description demands.
    fixed_value: str | None = None


@dataclass(frozen=True)
class _ObjectSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    subtypes: tuple[str, ...]
    required: tuple[str, ...] = ()


def _preview(value: Any) -> str:
    """A short repr for messages: long texts are cut so a violation stays readable."""
    text = repr(value)
    if len(text) > _VALUE_PREVIEW:
        return f"{text[:_VALUE_PREVIEW]}...'"
    return text


def _problem(path: str, what: str, value: Any) -> str:
    return f"{path}: {what} (value {_preview(value)})"


def _parse_fields(raw_fields: list[dict[str, Any]]) -> dict[str, FieldSpec]:
    fields: dict[str, FieldSpec] = {}
    for raw in raw_fields:
        fixed = None
        # e.g. BotCommandScopeChat.type: "Scope type, must be chat"
        match = re.search(r"must be (?:“|\")?([a-z_]+)(?:”|\")?\s*$", raw["description"])
        if match and raw["types"] == ["String"]:
            fixed = match.group(1)
        fields[raw["name"]] = FieldSpec(raw["name"], tuple(raw["types"]), raw["required"], fixed)
    return fields


class BotApiSpec:
    """The Bot API description, indexed for checking requests.

    Args:
        description: The parsed ``api.min.json`` document.
    """

    def __init__(self, description: Mapping[str, Any]) -> None:
        self.version: str = description["version"]
        self._methods: dict[str, dict[str, FieldSpec]] = {
            name: _parse_fields(method.get("fields", []))
            for name, method in description["methods"].items()
        }
        self._types: dict[str, _ObjectSpec] = {
            name: _ObjectSpec(
                name,
                fields,
                tuple(raw.get("subtypes", ())),
                tuple(field.name for field in fields.values() if field.required),
            )
            for name, raw in description["types"].items()
            for fields in [_parse_fields(raw.get("fields", []))]
        }

    @classmethod
    def from_file(cls, path: str) -> BotApiSpec:
        """Reads a description file such as ``api.min.json``."""
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle))

    @property
    def methods(self) -> frozenset[str]:
        """Every method name the description knows."""
        return frozenset(self._methods)

    def fields(self, method: str) -> Mapping[str, FieldSpec]:
        """The parameters of ``method``.

        Raises:
            KeyError: ``method`` is not in the description.
        """
        return self._methods[method]

    def check(
        self, method: str, params: Mapping[str, Any], files: Collection[str] = ()
    ) -> list[str]:
        """Lists every way a request departs from the Bot API.

        Args:
            method: The method name as in the URL, e.g. ``"sendMessage"``.
            params: The decoded JSON parameters.
            files: Names of the parameters uploaded as multipart files (an uploaded ``photo``
                is absent from ``params`` but present all the same).

        Returns:
            One message per problem, each naming the method, the field and the value; empty when
            the request is one Telegram would accept.
        """
        fields = self._methods.get(method)
        if fields is None:
            return [_problem(method, f"not a method of the Bot API ({self.version})", method)]
        problems: list[str] = []
        for name, wanted in fields.items():
            if wanted.required and name not in params and name not in files:
                problems.append(f"{method}.{name}: required field missing")
        for name, value in params.items():
            path = f"{method}.{name}"
            spec = fields.get(name)
            if spec is None:
                problems.append(_problem(path, "unknown field", value))
                continue
            problems.extend(self._check_value(path, value, spec.types, files))
        problems.extend(self._check_edit_target(method, params))
        problems.extend(self._check_limits(method, params))
        return problems

    def check_object(self, type_name: str, value: Any) -> list[str]:
        """Lists every way ``value`` departs from the object type ``type_name``.

        The update factory uses it to make sure the updates it builds are ones Telegram sends.
        """
        return self._check_value(type_name, value, (type_name,))

    # -- types --------------------------------------------------------------------------------

    def _check_value(
        self, path: str, value: Any, types: tuple[str, ...], files: Collection[str] = ()
    ) -> list[str]:
        """Checks ``value`` against a union of types; the closest alternative's problems win."""
        if "InputFile" in types and isinstance(value, str) and value.startswith("attach://"):
            # An attach:// reference is a String too, but it must name an uploaded part.
            types = ("InputFile",)
        if len(types) == 1:
            return self._check_type(path, value, types[0], files)
        best: list[str] | None = None
        for type_name in types:
            problems = self._check_type(path, value, type_name, files)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        if len(types) > 1 and all(name in _BASIC_TYPES for name in types):
            return [_problem(path, f"expected {' or '.join(types)}", value)]
        return best or []

    def _check_type(
        self, path: str, value: Any, type_name: str, files: Collection[str]
    ) -> list[str]:
        if type_name.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                return [_problem(path, f"expected {type_name} (a JSON array)", value)]
            item_type = type_name.removeprefix(_ARRAY_PREFIX)
            problems: list[str] = []
            for index, item in enumerate(value):
                problems.extend(self._check_value(f"{path}[{index}]", item, (item_type,), files))
            return problems
        if type_name == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif type_name == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_name == "Boolean":
            ok = isinstance(value, bool)
        elif type_name == "String":
            ok = isinstance(value, str)
        elif type_name == "InputFile":
            # A file_id or URL as a string, or "attach://<name>" pointing at an uploaded part.
            if isinstance(value, str) and value.startswith("attach://"):
                if value.removeprefix("attach://") not in files:
                    return [_problem(path, "attach:// names no uploaded file", value)]
                return []
            ok = isinstance(value, str)
        else:
            return self._check_object(path, value, type_name, files)
        return [] if ok else [_problem(path, f"expected {type_name}", value)]

    def _check_object(
        self, path: str, value: Any, type_name: str, files: Collection[str]
    ) -> list[str]:
        spec = self._types.get(type_name)
        if spec is None:
            return [_problem(path, f"the description has no type {type_name}", value)]
        if not isinstance(value, dict):
            return [_problem(path, f"expected {type_name} (a JSON object)", value)]
        if spec.subtypes:
            return self._check_union(path, value, spec, files)
        problems: list[str] = []
        for name in spec.required:
            if name not in value:
                problems.append(f"{path}.{name}: required field missing")
        for name, item in value.items():
            field_spec = spec.fields.get(name)
            if field_spec is None:
                problems.append(_problem(f"{path}.{name}", f"unknown field of {type_name}", item))
                continue
            if field_spec.fixed_value is not None and item != field_spec.fixed_value:
                problems.append(
                    _problem(f"{path}.{name}", f"must be {field_spec.fixed_value!r}", item)
                )
                continue
            problems.extend(self._check_value(f"{path}.{name}", item, field_spec.types, files))
        rule = _OBJECT_RULES.get(type_name)
        if rule is not None:
            problems.extend(rule(path, value))
        return problems

    def _check_union(
        self, path: str, value: dict[str, Any], spec: _ObjectSpec, files: Collection[str]
    ) -> list[str]:
        """Checks an object against the kind its discriminator ("type": "chat", ...) names."""
        kinds = [self._types[name] for name in spec.subtypes if name in self._types]
        matching = [
            kind.name
            for kind in kinds
            if all(
                value.get(field.name) == field.fixed_value
                for field in kind.fields.values()
                if field.fixed_value is not None
            )
        ]
        if matching:
            return self._check_value(path, value, tuple(matching), files)
        discriminators = sorted(
            {field.name for kind in kinds for field in kind.fields.values() if field.fixed_value}
        )
        name = discriminators[0] if discriminators else "type"
        return [_problem(f"{path}.{name}", f"names no kind of {spec.name}", value.get(name))]

    # -- rules the description states in prose -------------------------------------------------

    def _check_edit_target(self, method: str, params: Mapping[str, Any]) -> list[str]:
        """Edit methods take chat_id + message_id, or inline_message_id ("Required if ...")."""
        fields = self._methods[method]
        if not {"chat_id", "message_id", "inline_message_id"} <= fields.keys():
            return []
        if fields["chat_id"].required:
            return []
        has_chat_message = "chat_id" in params and "message_id" in params
        has_inline = "inline_message_id" in params
        if has_inline and ("chat_id" in params or "message_id" in params):
            return [
                _problem(
                    f"{method}.inline_message_id",
                    "given together with chat_id/message_id; use one or the other",
                    params["inline_message_id"],
                )
            ]
        if not has_chat_message and not has_inline:
            given = {key: params[key] for key in ("chat_id", "message_id") if key in params}
            return [
                _problem(
                    f"{method}.chat_id+message_id",
                    "required if inline_message_id is not specified",
                    given,
                )
            ]
        return []

    def _check_limits(self, method: str, params: Mapping[str, Any]) -> list[str]:
        problems: list[str] = []
        if method in _TEXT_METHODS and isinstance(params.get("text"), str):
            problems.extend(
                _check_formatted(
                    f"{method}.text", params["text"], params, "entities", 1, TEXT_LIMIT
                )
            )
        if isinstance(params.get("caption"), str):
            problems.extend(
                _check_formatted(
                    f"{method}.caption",
                    params["caption"],
                    params,
                    "caption_entities",
                    0,
                    CAPTION_LIMIT,
                )
            )
        if method == "answerCallbackQuery" and isinstance(params.get("text"), str):
            text = params["text"]
            if len(text) > CALLBACK_ANSWER_LIMIT:
                problems.append(
                    _problem(
                        f"{method}.text",
                        f"{len(text)} characters, allowed 0-{CALLBACK_ANSWER_LIMIT}",
                        text,
                    )
                )
        if method == "setMyCommands" and isinstance(params.get("commands"), list):
            count = len(params["commands"])
            if count > COMMANDS_LIMIT:
                problems.append(
                    _problem(
                        f"{method}.commands", f"{count} commands, at most {COMMANDS_LIMIT}", count
                    )
                )
        return problems


def _check_formatted(
    path: str,
    text: str,
    params: Mapping[str, Any],
    entities_field: str,
    minimum: int,
    maximum: int,
) -> list[str]:
    """Checks a text or caption's length after entity parsing, as Telegram measures it."""
    parse_mode = params.get("parse_mode")
    entities = params.get(entities_field)
    try:
        parsed = parse_text(
            text,
            parse_mode if isinstance(parse_mode, str) else None,
            entities if isinstance(entities, list) else None,
        )
    except HtmlParseError as error:
        return [_problem(path, str(error), text)]
    if parsed.length < minimum:
        return [_problem(path, "empty after entity parsing and whitespace stripping", text)]
    if parsed.length > maximum:
        return [
            _problem(
                path,
                f"{parsed.length} characters after entity parsing, allowed {minimum}-{maximum}",
                text,
            )
        ]
    return []


def _check_button(path: str, button: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    text = button.get("text")
    if isinstance(text, str) and not text.strip():
        problems.append(_problem(f"{path}.text", "button text must not be empty", text))
    actions = sorted(set(button) - _BUTTON_NON_ACTION_FIELDS)
    if len(actions) != 1:
        problems.append(
            _problem(path, f"needs exactly one action field, has {len(actions)}", actions)
        )
    data = button.get("callback_data")
    if isinstance(data, str):
        size = len(data.encode("utf-8"))
        if not 1 <= size <= CALLBACK_DATA_BYTES:
            problems.append(
                _problem(
                    f"{path}.callback_data",
                    f"{size} bytes in UTF-8, allowed 1-{CALLBACK_DATA_BYTES}",
                    data,
                )
            )
    return problems


def _check_bot_command(path: str, command: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    name = command.get("command")
    if isinstance(name, str) and not (
        1 <= len(name) <= COMMAND_LENGTH and _COMMAND_PATTERN.fullmatch(name)
    ):
        problems.append(
            _problem(
                f"{path}.command",
                f"must be 1-{COMMAND_LENGTH} of lowercase letters, digits and underscores",
                name,
            )
        )
    description = command.get("description")
    if isinstance(description, str) and not 1 <= len(description) <= COMMAND_DESCRIPTION_LIMIT:
        problems.append(
            _problem(
                f"{path}.description",
                f"{len(description)} characters, allowed 1-{COMMAND_DESCRIPTION_LIMIT}",
                description,
            )
        )
    return problems


_OBJECT_RULES = {
    "InlineKeyboardButton": _check_button,
    "BotCommand": _check_bot_command,
}


@cache
def default_spec() -> BotApiSpec:
    """The vendored description, read once per process."""
    source = resources.files("bot.offline") / "telegram_api" / "api.min.json"
    return BotApiSpec(json.loads(source.read_text(encoding="utf-8")))
