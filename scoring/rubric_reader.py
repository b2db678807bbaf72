"""A walker over parsed rubric YAML that collects every problem with its field path.

Loading reports all problems at once, each naming the file, the field path and the bad value,
so a town fixes its rubric in one pass instead of one error per run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from scoring.decimals import format_decimal, to_decimal
from scoring.errors import ProblemsError, excerpt, join

__all__ = [
    "MAX_ITEMS",
    "MAX_ITEM_ID_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_NUMBER",
    "MAX_TEXT_LENGTH",
    "Entry",
    "RubricError",
    "RubricReader",
    "bounded",
]

# Keys and item ids travel in Telegram callback data, which holds at most 64 bytes together with
# the kind, the assessment id and the answer; these limits leave room for the rest.
MAX_KEY_LENGTH = 24
MAX_ITEM_ID_LENGTH = 32
_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# The seed has 36 items; a rubric with thousands is a mistake, and every press would carry it.
MAX_ITEMS = 500
# Labels and item texts are shown in Telegram messages, which hold at most 4,096 characters.
MAX_TEXT_LENGTH = 1_000
# No rubric number (points, totals, ballot values) comes near this; bigger ones are typos or
# attacks, and would overflow exact arithmetic further on.
MAX_NUMBER = Decimal(1_000_000)
# A problem line quotes at most a few excerpts; anything longer is cut.
_MAX_PROBLEM_LENGTH = 400


class RubricError(ProblemsError):
    """A rubric failed to load; each problem names the file, the field path and the bad value."""


class Entry(NamedTuple):
    """One `{key, label, ...}` entry of a list: its path, its key and label, all its fields."""

    path: str
    key: str
    label: str
    fields: dict[str, Any]


def bounded(line: str) -> str:
    """Cuts a problem line to a bounded length, whatever it quotes."""
    return line if len(line) <= _MAX_PROBLEM_LENGTH else f"{line[:_MAX_PROBLEM_LENGTH]}…"


class RubricReader:
    """Reads typed values out of parsed YAML, recording a problem instead of raising."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        """Records one problem at `path`, cut to a bounded length."""
        self.problems.append(bounded(f"{self.source}: {path or '<top>'}: {message}"))

    def mapping(
        self, value: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """Checks that `value` is a mapping with the required keys and no unknown ones; returns
        it, or None when it is not a mapping."""
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, got {excerpt(value)}")
            return None
        required = tuple(required)
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.problem(
                    join(path, str(key)),
                    f"unknown key {excerpt(key)} (expected {', '.join(allowed)})",
                )
        for key in required:
            if key not in value:
                self.problem(join(path, key), "missing")
        return value

    def sequence(self, value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
        """Checks that `value` is a list (non-empty unless allowed); returns it or `[]`."""
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {excerpt(value)}")
            return []
        if not value and not allow_empty:
            self.problem(path, "must not be empty")
        return value

    def entries(
        self,
        value: Any,
        path: str,
        extra: Iterable[str] = (),
        optional: Iterable[str] = (),
        *,
        label: str = "label",
        what: str = "key",
        allow_empty: bool = False,
    ) -> list[Entry]:
        """Reads a list of mappings, each with a unique `key` (`what` names it in a problem), a
        `label` (or the field named by `label`) and the `extra` fields.

        A malformed entry is reported and left out.
        """
        entries = []
        for index, entry in enumerate(self.sequence(value, path, allow_empty=allow_empty)):
            entry_path = join(path, index)
            fields = self.mapping(entry, entry_path, ("key", label, *extra), optional)
            if fields is not None:
                key = self.key(fields.get("key"), join(entry_path, "key"))
                text = self.text(fields.get(label), join(entry_path, label))
                entries.append(Entry(entry_path, key, text, fields))
        self.unique(((join(entry.path, "key"), entry.key) for entry in entries), what)
        return entries

    def text(self, value: Any, path: str) -> str:
        """Checks for a non-empty string of at most `MAX_TEXT_LENGTH`; returns it or `""`."""
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected non-empty text, got {excerpt(value)}")
        elif len(value) > MAX_TEXT_LENGTH:
            self.problem(
                path, f"text {excerpt(value)} is longer than {MAX_TEXT_LENGTH} characters"
            )
        else:
            return value
        return ""

    def key(self, value: Any, path: str) -> str:
        """Checks for a short lower-case ASCII key such as `non_public`; returns it or `""`."""
        if isinstance(value, bool):
            # YAML 1.1 reads yes/no/on/off as booleans; the town meant a word.
            self.problem(path, f"got the boolean {excerpt(value)}: quote the key, e.g. 'yes'")
        elif not isinstance(value, str) or not _KEY_PATTERN.fullmatch(value):
            self.problem(
                path, f"expected a lower-case ASCII key like 'non_public', got {excerpt(value)}"
            )
        elif len(value) > MAX_KEY_LENGTH:
            self.problem(path, f"key {excerpt(value)} is longer than {MAX_KEY_LENGTH} characters")
        else:
            return value
        return ""

    def item_id(self, value: Any, path: str, area_key: str) -> str:
        """Checks an item id: `<area>.<name>`, short ASCII; returns it or `""`."""
        prefix = f"{area_key}."
        if not isinstance(value, str) or not value.startswith(prefix):
            self.problem(path, f"expected an id starting with {prefix!r}, got {excerpt(value)}")
        elif not value.isascii() or not _KEY_PATTERN.fullmatch(value[len(prefix) :]):
            self.problem(
                path, f"expected a short ASCII id like '{prefix}study', got {excerpt(value)}"
            )
        elif len(value) > MAX_ITEM_ID_LENGTH:
            self.problem(
                path, f"id {excerpt(value)} is longer than {MAX_ITEM_ID_LENGTH} characters"
            )
        else:
            return value
        return ""

    def number(
        self,
        value: Any,
        path: str,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal:
        """Checks for a finite number within bounds; returns it, or 0 after a problem.

        Every number is at most `MAX_NUMBER` in size, whatever bounds the caller gives.
        """
        number = to_decimal(value)
        lowest = -MAX_NUMBER if minimum is None else max(minimum, -MAX_NUMBER)
        highest = MAX_NUMBER if maximum is None else min(maximum, MAX_NUMBER)
        if number is None:
            self.problem(path, f"expected a number, got {excerpt(value)}")
        elif positive and number <= 0:
            self.problem(path, f"must be greater than 0, got {excerpt(value)}")
        elif number < lowest:
            self.problem(path, f"must be at least {format_decimal(lowest)}, got {excerpt(value)}")
        elif number > highest:
            self.problem(path, f"must be at most {format_decimal(highest)}, got {excerpt(value)}")
        else:
            return number
        return Decimal(0)

    def integer(self, value: Any, path: str) -> int:
        """Checks for a whole number (not a boolean) of at least 0; returns it or 0."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(path, f"expected a whole number of at least 0, got {excerpt(value)}")
            return 0
        return value

    def boolean(self, value: Any, path: str) -> bool:
        """Checks for true/false; returns it or False."""
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {excerpt(value)}")
            return False
        return value

    def unique(self, keys: Iterable[tuple[str, Any]], what: str) -> None:
        """Records a problem for each `(path, key)` whose key was already seen."""
        seen: dict[Any, str] = {}
        for path, key in keys:
            if key in ("", None):
                continue  # already reported as malformed
            if key in seen:
                self.problem(path, f"duplicate {what} {excerpt(key)} (first at {seen[key]})")
            else:
                seen[key] = path
