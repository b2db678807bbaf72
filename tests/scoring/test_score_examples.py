"""The worked examples of DOMAIN.md, and the score's parts, on the default rubric."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import BranchInput, InputError, default_rubric, score_branch
from tests.scoring.builders import branch


@pytest.mark.parametrize(
    ("basic", "bonus", "deductions", "review", "total", "stars", "gates"),
    [
        ("90", (), (), "90", "90.00", 5, ()),
        ("100", (), (), "66.67", "90.00", 5, ()),
        ("85", (5, 10, 10), (), "80", "97.50", 5, ()),
        ("78", (20,), (), "100", "98.60", 4, ("basic_below_80",)),
        ("100", (20,), (20,), "100", "100.00", 4, ("has_deduction",)),
        ("60", (), (20, 25), "50", "25.50", 1, ("basic_below_80", "has_deduction")),
    ],
)
def test_worked_examples_of_the_domain_score_as_written(
    basic: str,
    bonus: tuple[int, ...],
    deductions: tuple[int, ...],
    review: str,
    total: str,
    stars: int,
    gates: tuple[str, ...],
) -> None:
    rubric = default_rubric()
    result = score_branch(
        rubric, branch(rubric, basic, bonus=bonus, deductions=deductions, review=review)
    )
    assert (result.total, result.stars, result.gates) == (Decimal(total), stars, gates)


def test_bonus_is_capped_at_twenty_and_deductions_add_up() -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 85, bonus=(15, 10), deductions=(20, 30)))
    assert (result.bonus, result.deduction, result.assessment) == (
        Decimal(20),
        Decimal(50),
        Decimal(55),
    )


def test_the_float_trap_of_the_domain_does_not_cost_the_fifth_star() -> None:
    # 0.7 × 96 + 0.3 × 76 is 89.99999999999999 in binary floats.
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 96, review=76))
    assert (result.total, result.stars) == (Decimal("90.00"), 5)


def test_a_negative_total_is_floored_at_zero() -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 10, deductions=(100,), review=0))
    assert (result.assessment, result.total, result.stars) == (Decimal(-90), Decimal("0.00"), 1)


def test_without_a_review_there_is_no_total_and_no_stars() -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 95))
    assert (result.review, result.total, result.stars) == (None, None, None)


def test_unanswered_items_score_zero_and_partial_scores_half() -> None:
    rubric = default_rubric()
    answers: dict[str, str | Decimal] = {"team.study": "partial", "team.policy": "full"}
    result = score_branch(rubric, BranchInput("rural", answers))
    assert result.basic == Decimal(5)


def test_area_scores_follow_rubric_order_with_the_category_full_marks() -> None:
    rubric = default_rubric()
    result = score_branch(rubric, BranchInput("retired", {"role.retiree_contribution": "full"}))
    assert [(area.key, area.scored, area.full) for area in result.areas] == [
        ("team", 0, 16),
        ("operation", 0, 12),
        ("members", 0, 18),
        ("org_life", 0, 16),
        ("foundation", 0, 14),
        ("role", 8, 24),
    ]


@pytest.mark.parametrize(
    ("branch_input", "problem"),
    [
        (BranchInput("army", {}), "category: unknown category 'army'"),
        (BranchInput("rural", {"team.study": "yes"}), "answers.team.study: unknown level 'yes'"),
        (
            BranchInput("rural", {"team.study": Decimal(5)}),
            "answers.team.study: score 5 is outside 0 to 4",
        ),
        (
            BranchInput("retired", {"role.model_organ": "full"}),
            "answers.role.model_organ: unknown item or not for category 'retired'",
        ),
        (BranchInput("rural", {}, review=Decimal(101)), "review: expected a score from 0 to 100"),
    ],
)
def test_score_branch_rejects_input_the_bot_should_never_build(
    branch_input: BranchInput, problem: str
) -> None:
    with pytest.raises(InputError) as raised:
        score_branch(default_rubric(), branch_input)
    assert raised.value.problems[0].startswith(problem)
