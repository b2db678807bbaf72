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

from bot.offline.spec_limits import OBJECT_RULES, check_edit_target, check_limits, problem

__all__ = ["BotApiSpec", "FieldSpec", "default_spec"]

_BASIC_TYPES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
_ARRAY_PREFIX = "Array of "


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
            return [problem(method, f"not a method of the Bot API ({self.version})", method)]
        problems: list[str] = []
        for name, wanted in fields.items():
            if wanted.required and name not in params and name not in files:
                problems.append(f"{method}.{name}: required field missing")
        for name, value in params.items():
            path = f"{method}.{name}"
            spec = fields.get(name)
            if spec is None:
                problems.append(problem(path, "unknown field", value))
                continue
            problems.extend(self._check_value(path, value, spec.types, files))
        problems.extend(check_edit_target(method, fields, params))
        problems.extend(check_limits(method, params))
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
            return [problem(path, f"expected {' or '.join(types)}", value)]
        return best or []

    def _check_type(
        self, path: str, value: Any, type_name: str, files: Collection[str]
    ) -> list[str]:
        if type_name.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                return [problem(path, f"expected {type_name} (a JSON array)", value)]
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
                    return [problem(path, "attach:// names no uploaded file", value)]
                return []
            ok = isinstance(value, str)
        else:
            return self._check_object(path, value, type_name, files)
        return [] if ok else [problem(path, f"expected {type_name}", value)]

    def _check_object(
        self, path: str, value: Any, type_name: str, files: Collection[str]
    ) -> list[str]:
        spec = self._types.get(type_name)
        if spec is None:
            return [problem(path, f"the description has no type {type_name}", value)]
        if not isinstance(value, dict):
            return [problem(path, f"expected {type_name} (a JSON object)", value)]
        if spec.subtypes:
            return self._check_union(path, value, spec, files)
        problems: list[str] = []
        for name in spec.required:
            if name not in value:
                problems.append(f"{path}.{name}: required field missing")
        for name, item in value.items():
            field_spec = spec.fields.get(name)
            if field_spec is None:
                problems.append(problem(f"{path}.{name}", f"unknown field of {type_name}", item))
                continue
            if field_spec.fixed_value is not None and item != field_spec.fixed_value:
                problems.append(
                    problem(f"{path}.{name}", f"must be {field_spec.fixed_value!r}", item)
                )
                continue
            problems.extend(self._check_value(f"{path}.{name}", item, field_spec.types, files))
        rule = OBJECT_RULES.get(type_name)
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
        return [problem(f"{path}.{name}", f"names no kind of {spec.name}", value.get(name))]


@cache
def default_spec() -> BotApiSpec:
    """The vendored description, read once per process."""
    source = resources.files("bot.offline") / "telegram_api" / "api.min.json"
    return BotApiSpec(json.loads(source.read_text(encoding="utf-8")))
