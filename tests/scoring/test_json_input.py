"""Reading branch input JSON: exact numbers, no repeated keys, bounded nesting, short excerpts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import InputError
from scoring.errors import excerpt
from scoring.json_input import MAX_JSON_DEPTH, read_json


def _problems(text: str) -> list[str]:
    with pytest.raises(InputError) as raised:
        read_json(text)
    return raised.value.problems


def test_numbers_are_exact_decimals() -> None:
    assert read_json('{"review": 88.5, "count": 3}') == {
        "review": Decimal("88.5"),
        "count": Decimal(3),
    }


def test_a_5000_digit_integer_is_read_and_left_to_the_field_checks() -> None:
    assert read_json("9" * 5000) == Decimal("9" * 5000)


def test_ballots_of_1e999999_are_read_as_a_decimal() -> None:
    assert read_json('{"good": 1e999999}') == {"good": Decimal("1E+999999")}


def test_a_repeated_key_is_a_problem_with_its_path() -> None:
    text = '{"review": 90, "branches": [{"id": "a", "answers": {"x": 1, "x": 2}}], "review": 80}'
    assert _problems(text) == ["review: duplicate key", "branches[0].answers.x: duplicate key"]


def test_input_nested_100000_deep_is_refused() -> None:
    assert _problems("[" * 100_000 + "]" * 100_000) == [
        f"nested deeper than {MAX_JSON_DEPTH} levels"
    ]


def test_input_nested_past_the_limit_but_within_python_s_is_refused_with_its_path() -> None:
    depth = MAX_JSON_DEPTH + 1
    assert _problems('{"a": ' * depth + "1" + "}" * depth) == [
        f"{'.'.join('a' * depth)}: nested deeper than {MAX_JSON_DEPTH} levels"
    ]


def test_text_that_is_not_json_says_where() -> None:
    assert _problems("{") == [
        "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("yes", "'yes'"),
        ("x" * 61, f"{'x' * 60!r}… (61 characters)"),
        (Decimal("101"), "101"),
        (Decimal("1e26"), "1E+26"),
        (Decimal("9" * 5000), "9" * 60 + "…"),
        # An explicit id: pytest cannot print this integer either.
        pytest.param(10**5000, "<an integer of 5001 digits>", id="5001-digit-integer"),
        (True, "True"),
        (None, "None"),
        ([1] * 1000, "[1, 1, 1, 1, ...]"),
        ({"a": [[[[1]]]]}, "{'a': [[...]]}"),
    ],
)
def test_an_excerpt_is_short_whatever_the_value(value: object, shown: str) -> None:
    assert excerpt(value) == shown
