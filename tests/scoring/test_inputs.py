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
            "bonus[0].points: expected a number of at least 0, got -5",
        ),
        (
            {"category": "rural", "deductions": [{"kind": "other", "points": 19.5}]},
            "deductions[0].points: deduction 19.5 is under the minimum 20",
        ),
        ({"category": "rural", "review": 100.5}, "review: expected a score from 0 to 100"),
        ({"category": "rural", "review": -1}, "review: expected a score from 0 to 100, got -1"),
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
