"""A walker over parsed rubric YAML that collects every problem with its field path.

Loading reports all problems at once, each naming the file, the field path and the bad value,
so a town fixes its rubric in one pass instead of one error per run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from scoring.decimals import to_decimal

__all__ = ["MAX_ITEM_ID_LENGTH", "MAX_KEY_LENGTH", "RubricError", "RubricReader", "join"]

# Keys and item ids travel in Telegram callback data, which holds at most 64 bytes together with
# the kind, the assessment id and the answer; these limits leave room for the rest.
MAX_KEY_LENGTH = 24
MAX_ITEM_ID_LENGTH = 32
_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


class RubricError(Exception):
    """A rubric failed to load.

    Attributes:
        problems: one line per problem, each naming the file, the field path and the bad value.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def join(path: str, key: str | int) -> str:
    """Extends a field path: `join("areas", 2)` is `areas[2]`, `join("areas[2]", "key")`..."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class RubricReader:
    """Reads typed values out of parsed YAML, recording a problem instead of raising."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        """Records one problem at `path`."""
        self.problems.append(f"{self.source}: {path or '<top>'}: {message}")

    def mapping(
        self,
        value: Any,
        path: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
    ) -> dict[str, Any] | None:
        """Checks that `value` is a mapping with the required keys and no unknown ones.

        Returns:
            The mapping, or None when it is not one (the problem is recorded).
        """
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, got {value!r}")
            return None
        required = tuple(required)
        allowed = (*required, *optional)
        for key in value:
            if key not in allowed:
                self.problem(
                    join(path, str(key)), f"unknown key {key!r} (expected {', '.join(allowed)})"
                )
        for key in required:
            if key not in value:
                self.problem(join(path, key), "missing")
        return value

    def sequence(self, value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
        """Checks that `value` is a list (non-empty unless allowed); returns it or `[]`."""
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {value!r}")
            return []
        if not value and not allow_empty:
            self.problem(path, "must not be empty")
        return value

    def text(self, value: Any, path: str) -> str:
        """Checks for a non-empty string; returns it or `""`."""
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected non-empty text, got {value!r}")
            return ""
        return value

    def key(self, value: Any, path: str, max_length: int = MAX_KEY_LENGTH) -> str:
        """Checks for a short lower-case ASCII key such as `non_public`; returns it or `""`."""
        if isinstance(value, bool):
            # YAML 1.1 reads yes/no/on/off as booleans; the town meant a word.
            self.problem(path, f"got the boolean {value!r}: quote the key, e.g. 'yes'")
            return ""
        if not isinstance(value, str) or not _KEY_PATTERN.fullmatch(value):
            self.problem(path, f"expected a lower-case ASCII key like 'non_public', got {value!r}")
            return ""
        if len(value) > max_length:
            self.problem(path, f"key {value!r} is longer than {max_length} characters")
            return ""
        return value

    def item_id(self, value: Any, path: str, area_key: str) -> str:
        """Checks an item id: `<area>.<name>`, short ASCII; returns it or `""`."""
        prefix = f"{area_key}."
        if not isinstance(value, str) or not value.startswith(prefix):
            self.problem(path, f"expected an id starting with {prefix!r}, got {value!r}")
            return ""
        if not value.isascii() or not _KEY_PATTERN.fullmatch(value[len(prefix) :]):
            self.problem(path, f"expected a short ASCII id like '{prefix}study', got {value!r}")
            return ""
        if len(value) > MAX_ITEM_ID_LENGTH:
            self.problem(path, f"id {value!r} is longer than {MAX_ITEM_ID_LENGTH} characters")
            return ""
        return value

    def number(
        self,
        value: Any,
        path: str,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        positive: bool = False,
    ) -> Decimal:
        """Checks for a finite number within bounds; returns it, or 0 after a problem."""
        number = to_decimal(value)
        if number is None:
            self.problem(path, f"expected a number, got {value!r}")
            return Decimal(0)
        if positive and number <= 0:
            self.problem(path, f"must be greater than 0, got {value!r}")
        elif minimum is not None and number < minimum:
            self.problem(path, f"must be at least {minimum}, got {value!r}")
        elif maximum is not None and number > maximum:
            self.problem(path, f"must be at most {maximum}, got {value!r}")
        return number

    def integer(self, value: Any, path: str, *, minimum: int = 0) -> int:
        """Checks for a whole number (not a boolean) of at least `minimum`; returns it or 0."""
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(path, f"expected a whole number of at least {minimum}, got {value!r}")
            return 0
        return value

    def boolean(self, value: Any, path: str) -> bool:
        """Checks for true/false; returns it or False."""
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {value!r}")
            return False
        return value

    def unique(self, keys: Iterable[tuple[str, Any]], what: str) -> None:
        """Records a problem for each `(path, key)` whose key was already seen."""
        seen: dict[Any, str] = {}
        for path, key in keys:
            if key in ("", None):
                continue  # already reported as malformed
            if key in seen:
                self.problem(path, f"duplicate {what} {key!r} (first at {seen[key]})")
            else:
                seen[key] = path
