"""Reads branch input JSON exactly and strictly (`read_json`).

Python's `json` module keeps the last of two equal keys, reads `0.1` as a binary float, fails with
a bare `ValueError` on a 5,000-digit integer and with `RecursionError` on input nested 100,000
deep. Input from a file or another program deserves better: numbers become exact Decimals,
whatever their size (the parser bounds them field by field), a repeated key is a problem naming
its path, and nesting is bounded.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

from scoring.errors import InputError, join

__all__ = ["MAX_JSON_DEPTH", "read_json"]

# A batch nests 5 levels deep (branches, a branch, review, ballots, a count); this is ample.
MAX_JSON_DEPTH = 20


class _RepeatedKeys(dict[str, Any]):
    """A JSON object in which some keys appeared more than once (the last value is kept)."""

    def __init__(self, pairs: list[tuple[str, Any]], repeated: list[str]) -> None:
        super().__init__(pairs)
        self.repeated = repeated


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Builds a JSON object, remembering repeated keys so they can be reported with their path."""
    data = dict(pairs)
    if len(data) == len(pairs):
        return data
    counts = Counter(key for key, _ in pairs)
    return _RepeatedKeys(pairs, [key for key, count in counts.items() if count > 1])


def read_json(text: str) -> Any:
    """Parses JSON text with exact numbers, refusing repeated keys and deep nesting.

    Integers and decimals both become `Decimal`; `NaN` and `Infinity` stay floats, which the
    parser reports as not numbers.

    Raises:
        InputError: not JSON, nested too deep, or one problem per repeated key, with its path.
    """
    try:
        document = json.loads(
            text, parse_float=Decimal, parse_int=Decimal, object_pairs_hook=_object
        )
    except RecursionError:
        # The C parser recurses once per level and stops near Python's recursion limit.
        raise InputError([f"nested deeper than {MAX_JSON_DEPTH} levels"]) from None
    except json.JSONDecodeError as error:
        raise InputError([f"not JSON: {error}"]) from None
    problems = _structure_problems(document)
    if problems:
        raise InputError(problems)
    return document


def _structure_problems(document: Any) -> list[str]:
    """Walks the document, without recursion and in order, for repeated keys and excess depth."""
    problems: list[str] = []
    pending: list[tuple[Any, str, int]] = [(document, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return [*problems, f"{path}: nested deeper than {MAX_JSON_DEPTH} levels"]
        if isinstance(value, _RepeatedKeys):
            problems.extend(f"{join(path, key)}: duplicate key" for key in value.repeated)
        if isinstance(value, dict):
            children = [(child, join(path, key), depth + 1) for key, child in value.items()]
        elif isinstance(value, list):
            children = [(child, join(path, index), depth + 1) for index, child in enumerate(value)]
        else:
            continue
        # Pushed in reverse so they are popped, and reported, in document order.
        pending.extend(reversed(children))
    return problems
