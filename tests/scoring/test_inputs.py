"""Validating a branch's JSON-like input: one problem per bad field, naming field and value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scoring import BranchInput, Claim, InputError, default_rubric, parse_branch_input
from tests.scoring.builders import variant


def test_a_valid_branch_is_read_with_exact_numbers() -> None:
    data = {
        "category": "rural",
        "answers": {"team.study": "full", "team.policy": 2.5},
        "bonus": [{"kind": "commendation", "points": 5}],
        "deductions": [{"kind": "other", "points": 20}],
        "review": 88.5,
    }
    expected = BranchInput(
        "rural",
        {"team.study": "full", "team.policy": Decimal("2.5")},
        bonus=(Claim("commendation", Decimal(5)),),
        deductions=(Claim("other", Decimal(20)),),
        review=Decimal("88.5"),
    )
    assert parse_branch_input(default_rubric(), data) == expected


def test_missing_keys_mean_none() -> None:
    assert parse_branch_input(default_rubric(), {"category": "retired"}) == BranchInput(
        "retired", {}
    )


def test_a_review_may_come_as_ballots() -> None:
    data = {"category": "rural", "review": {"ballots": {"good": 1, "fairly_good": 1}}}
    assert parse_branch_input(default_rubric(), data).review == Decimal(90)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"category": "army"}, "category: unknown category 'army' (expected rural, institution,"),
        (
            {"category": "rural", "answers": {"team.study": "yes"}},
            "answers.team.study: unknown level 'yes' (expected full, partial, none)",
        ),
        (
            {"category": "rural", "answers": {"team.nope": "full"}},
            "answers.team.nope: unknown item",
        ),
        (
            {"category": "rural", "answers": {"role.worker_rights": "full"}},
            "answers.role.worker_rights: item does not apply to category 'rural'",
        ),
        (
            {"category": "rural", "answers": {"team.study": 4.5}},
            "answers.team.study: score 4.5 is outside 0 to 4",
        ),
        (
            {"category": "rural", "answers": {"team.study": -1}},
            "answers.team.study: score -1 is outside 0 to 4",
        ),
        (
            {"category": "rural", "answers": {"team.study": True}},
            "answers.team.study: expected a level key or a score, got True",
        ),
        (
            {"category": "rural", "bonus": [{"kind": "luck", "points": 5}]},
            "bonus[0].kind: unknown kind 'luck'",
        ),
        (
            {"category": "rural", "bonus": [{"kind": "other", "points": -5}]},
            "bonus[0].points: points -5 is outside 0 to 1000",
        ),
        (
            {"category": "rural", "deductions": [{"kind": "other", "points": 19.5}]},
            "deductions[0].points: deduction 19.5 is under the minimum 20",
        ),
        ({"category": "rural", "review": 100.5}, "review: score 100.5 is outside 0 to 100"),
        ({"category": "rural", "review": -1}, "review: score -1 is outside 0 to 100"),
        (
            {"category": "rural", "review": {"ballots": {"great": 2}}},
            "review.ballots.great: unknown ballot 'great'",
        ),
        ({"category": "rural", "score": 5}, "score: unknown key"),
    ],
)
def test_bad_input_names_the_field_and_the_value(data: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), data)
    assert raised.value.problems[0].startswith(problem)


def test_every_problem_is_reported_at_once() -> None:
    data = {"category": "rural", "answers": {"team.study": "yes", "team.policy": 9}, "review": 120}
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), data)
    assert len(raised.value.problems) == 3


def test_a_bonus_in_a_rubric_without_bonus_is_refused() -> None:
    data = {"category": "institution", "bonus": [{"kind": "other", "points": 5}]}
    with pytest.raises(InputError) as raised:
        parse_branch_input(variant("strict_95"), data)
    assert raised.value.problems == ["bonus: this rubric has no bonus"]


def test_decimals_written_as_text_are_read_for_review_claims_and_ballots() -> None:
    data = {
        "category": "rural",
        "bonus": [{"kind": "commendation", "points": "5.5"}],
        "deductions": [{"kind": "other", "points": "20"}],
        "review": "93.6",
    }
    branch = parse_branch_input(default_rubric(), data)
    assert (branch.bonus, branch.deductions, branch.review) == (
        (Claim("commendation", Decimal("5.5")),),
        (Claim("other", Decimal(20)),),
        Decimal("93.6"),
    )


def test_ballot_counts_may_be_text() -> None:
    data = {"category": "rural", "review": {"ballots": {"good": "3", "average": "1"}}}
    assert parse_branch_input(default_rubric(), data).review == Decimal(90)


def test_an_answer_given_as_text_stays_a_level_key() -> None:
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), {"category": "rural", "answers": {"team.study": "2"}})
    assert raised.value.problems == [
        "answers.team.study: unknown level '2' (expected full, partial, none)"
    ]


NINES = "3." + "9" * 35


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"review": "abc"}, ["review: expected a number, got 'abc'"]),
        ({"review": True}, ["review: expected a number, got True"]),
        ({"review": [90]}, ["review: expected a number, got [90]"]),
        ({"review": "9e1"}, ["review: expected a number, got '9e1'"]),
        ({"review": " 90"}, ["review: expected a number, got ' 90'"]),
        ({"review": "NaN"}, ["review: expected a number, got 'NaN'"]),
        ({"review": float("inf")}, ["review: expected a number, got inf"]),
        (
            {"bonus": [{"kind": "other", "points": "five"}]},
            ["bonus[0].points: expected a number, got 'five'"],
        ),
        (
            {"review": {"ballots": {"good": "many"}}},
            ["review.ballots.good: expected a number, got 'many'"],
        ),
        (
            {"answers": {"team.study": None}},
            ["answers.team.study: expected a level key or a score, got None"],
        ),
    ],
)
def test_a_wrongly_typed_value_says_a_number_was_expected(
    data: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), {"category": "rural", **data})
    assert raised.value.problems == problems


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (
            {"answers": {"team.study": Decimal(NINES)}},
            [f"answers.team.study: score {NINES} has more than two decimals"],
        ),
        ({"review": Decimal(NINES)}, [f"review: score {NINES} has more than two decimals"]),
        ({"review": NINES}, [f"review: score {NINES} has more than two decimals"]),
        ({"review": 0.1 + 0.2}, ["review: score 0.30000000000000004 has more than two decimals"]),
        (
            {"deductions": [{"kind": "other", "points": Decimal("1e26")}]},
            ["deductions[0].points: points 1E+26 is outside 0 to 1000"],
        ),
        (
            {"bonus": [{"kind": "other", "points": Decimal("0.125")}]},
            ["bonus[0].points: points 0.125 has more than two decimals"],
        ),
        (
            {"review": {"ballots": {"good": Decimal("1e999999")}}},
            ["review.ballots.good: count 1E+999999 is outside 0 to 100000"],
        ),
        (
            {"review": {"ballots": {"good": "2.5"}}},
            ["review.ballots.good: count 2.5 is not a whole number"],
        ),
        (
            {"review": {"ballots": {"good": -1, "great": 1}}},
            [
                "review.ballots.good: count -1 is outside 0 to 100000",
                "review.ballots.great: unknown ballot 'great' (expected good, fairly_good, "
                "average, poor)",
            ],
        ),
    ],
)
def test_numbers_out_of_range_or_too_precise_are_problems_not_tracebacks(
    data: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), {"category": "rural", **data})
    assert raised.value.problems == problems


def test_two_decimals_are_accepted_whatever_trailing_zeros() -> None:
    data = {"category": "rural", "answers": {"team.study": Decimal("3.990")}, "review": "88.50"}
    branch = parse_branch_input(default_rubric(), data)
    assert (branch.answers["team.study"], branch.review) == (Decimal("3.99"), Decimal("88.5"))


def test_a_50_mb_value_is_quoted_as_a_short_excerpt() -> None:
    huge = "x" * 50_000_000
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), {"category": huge})
    assert raised.value.problems == [
        f"category: unknown category {'x' * 60!r}… (50000000 characters) "
        "(expected rural, institution, non_public, retired)"
    ]


def test_a_huge_key_is_cut_in_the_path() -> None:
    key = "k" * 10_000
    with pytest.raises(InputError) as raised:
        parse_branch_input(default_rubric(), {"category": "rural", "answers": {key: "full"}})
    assert raised.value.problems == [
        f"answers.{'k' * 60}…: unknown item {'k' * 60!r}… (10000 characters)"
    ]
