"""Exact decimal helpers shared by the rubric loader, the scorer and the JSON shapes.

Binary floats never enter a score: `0.7 * 96 + 0.3 * 76` is `89.99999999999999` in floats, which
would cost a branch its fifth star (DOMAIN.md, "The score").
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "CENT",
    "HUNDRED",
    "ONE",
    "ZERO",
    "ceil_cent",
    "format_decimal",
    "parse_decimal_text",
    "round_cent",
    "to_decimal",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")
ONE = Decimal(1)
HUNDRED = Decimal(100)


def round_cent(value: Decimal) -> Decimal:
    """Rounds half-up to 2 decimals, the rounding the seed's totals use (四舍五入)."""
    # The rounding is passed explicitly so the caller's decimal context never matters.
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ceil_cent(value: Decimal) -> Decimal:
    """Rounds up to 2 decimals: the least 2-decimal value not below `value`."""
    return value.quantize(CENT, rounding=ROUND_CEILING)


def to_decimal(value: object) -> Decimal | None:
    """Converts a JSON or YAML number to an exact, finite Decimal, or returns None.

    Floats go through their shortest repr, which is the text the user wrote (0.7 stays 0.7).
    Booleans are not numbers here even though Python says they are ints.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        return None
    return number if number.is_finite() else None


def parse_decimal_text(text: str) -> Decimal | None:
    """Parses number text such as `0.7`, `1_000.5` or `1e2`; None unless a finite number."""
    try:
        number = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_decimal(value: Decimal) -> str:
    """Formats without exponent or trailing zeros: 85.0 → "85", 1E+2 → "100", 2.50 → "2.5"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
