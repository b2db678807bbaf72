"""The error raised for invalid branch input, and the excerpt every problem line shows of a value.

A problem line names the bad value so the user can find it, but the value may be hostile: a 50 MB
string, a structure built from YAML aliases, a number with thousands of digits. `excerpt` shows
enough to recognise it and never more, so a problem line stays short whatever the input.
"""

from __future__ import annotations

import reprlib
from decimal import Decimal

__all__ = ["EXCERPT_LENGTH", "InputError", "ProblemsError", "excerpt", "join"]

# Enough to recognise a value in a terminal line; longer values are cut.
EXCERPT_LENGTH = 60
# The largest number of decimal digits an integer is shown with (Python refuses to print more
# than 4,300 by default, and nobody reads more than this).
_MAX_INTEGER_DIGITS = 30


class ProblemsError(Exception):
    """An error that lists every problem found, one line each, in `problems`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class InputError(ProblemsError, ValueError):
    """A branch's input is invalid; each problem names the field and the value, e.g.
    `answers.team.study: unknown level 'yes' (expected full, partial, none)`."""


class _ShortRepr(reprlib.Repr):
    """A `reprlib.Repr` that also shortens huge integers instead of failing on them."""

    def repr_int(self, x: int, level: int) -> str:
        if abs(x) >= 10**_MAX_INTEGER_DIGITS:
            return f"<an integer of {_integer_digits(x)} digits>"
        return super().repr_int(x, level)

    # reprlib looks for a method named after the type: repr_Decimal.
    def repr_Decimal(self, x: Decimal, level: int) -> str:
        """Shows a Decimal as its number (`90`), as JSON input wrote it."""
        text = str(x)
        return text if len(text) <= self.maxother else f"{text[: self.maxother]}…"


_SHORT_REPR = _ShortRepr()
_SHORT_REPR.maxlevel = 2
_SHORT_REPR.maxstring = EXCERPT_LENGTH
_SHORT_REPR.maxother = EXCERPT_LENGTH
_SHORT_REPR.maxlist = _SHORT_REPR.maxtuple = _SHORT_REPR.maxdict = 4


def _integer_digits(number: int) -> int:
    """Counts an integer's decimal digits without converting it to text."""
    digits = max(1, int(abs(number).bit_length() * 0.30103))
    # The estimate from the bit length can be one short.
    return digits + 1 if abs(number) >= 10**digits else digits


def excerpt(value: object) -> str:
    """Renders a value for a problem line, never longer than about `EXCERPT_LENGTH` characters.

    Text is quoted and, when long, cut with its length noted: `'xxxx…' (50000000 characters)`.
    Decimals print as written (`101`, `1E+26`); containers show their first entries.
    """
    if isinstance(value, str):
        if len(value) <= EXCERPT_LENGTH:
            return repr(value)
        return f"{value[:EXCERPT_LENGTH]!r}… ({len(value)} characters)"
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= EXCERPT_LENGTH else f"{text[:EXCERPT_LENGTH]}…"


def join(path: str, key: str | int) -> str:
    """Extends a field path: `join("areas", 2)` is `areas[2]`, `join("areas[2]", "key")`...

    A key too long to be a real field name is cut, so a hostile key cannot flood the path.
    """
    if isinstance(key, int):
        return f"{path}[{key}]"
    if len(key) > EXCERPT_LENGTH:
        key = f"{key[:EXCERPT_LENGTH]}…"
    return f"{path}.{key}" if path else key
