"""The provisional view: review needed per level, gates, missing points, next-level items."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import (
    OUT_OF_REACH,
    REACHED,
    BranchInput,
    MissingItem,
    default_rubric,
    score_branch,
)
from tests.scoring.builders import branch


def test_the_assumed_review_is_the_branch_s_own_basic_score() -> None:
    rubric = default_rubric()
    provisional = score_branch(rubric, branch(rubric, 85, bonus=(5,))).provisional
    # 0.7 × 90 + 0.3 × 85
    assert (provisional.assumed_review, provisional.total, provisional.stars) == (
        Decimal(85),
        Decimal("88.50"),
        4,
    )


def test_needed_review_per_level_is_the_least_review_whose_rounded_total_reaches_it() -> None:
    rubric = default_rubric()
    needed = score_branch(rubric, branch(rubric, 85)).provisional.needed_review
    # five: (90 − 0.005 − 59.5) / 0.3 = 101.65 > 100; four: 20.495 / 0.3 = 68.3166… → 68.32
    assert needed == {
        5: OUT_OF_REACH,
        4: Decimal("68.32"),
        3: Decimal("34.99"),
        2: Decimal("1.65"),
        1: REACHED,
    }


def test_needed_review_counts_the_half_cent_that_rounding_gives() -> None:
    # basic 100: the domain's 66.67 reaches 90.001; 66.65 reaches 89.995, which rounds to 90.00.
    rubric = default_rubric()
    needed = score_branch(rubric, branch(rubric, 100)).provisional.needed_review[5]
    at_needed = score_branch(rubric, branch(rubric, 100, review="66.65"))
    below_needed = score_branch(rubric, branch(rubric, 100, review="66.64"))
    assert (needed, at_needed.stars, below_needed.stars) == (Decimal("66.65"), 5, 4)


def test_levels_are_reached_whatever_the_review_when_the_assessment_alone_suffices() -> None:
    rubric = default_rubric()
    needed = score_branch(rubric, branch(rubric, 100, bonus=(20,))).provisional.needed_review
    # 0.7 × 120 = 84: four stars and below are reached with a review of 0.
    assert [needed[stars] for stars in (4, 3, 2, 1)] == [REACHED] * 4


@pytest.mark.parametrize(
    ("basic", "deductions", "gates"),
    [
        (79, (), ("basic_below_80",)),
        (80, (), ()),
        (100, (20,), ("has_deduction",)),
    ],
)
def test_a_failed_gate_puts_five_stars_out_of_reach(
    basic: int, deductions: tuple[int, ...], gates: tuple[str, ...]
) -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, basic, bonus=(20,), deductions=deductions))
    five_out_of_reach = result.provisional.needed_review[5] == OUT_OF_REACH
    assert (result.gates, five_out_of_reach) == (gates, bool(gates))


def test_missing_lists_unanswered_first_then_the_largest_loss_then_rubric_order() -> None:
    rubric = default_rubric()
    answers: dict[str, str | Decimal] = {item.id: "full" for item in rubric.items_for("retired")}
    answers.pop("foundation.records")  # 2 points, unanswered
    answers.pop("role.duties")  # 4 points, unanswered
    answers["team.policy"] = "partial"  # loses 1.5
    answers["team.study"] = Decimal(1)  # loses 3
    answers["members.care"] = "none"  # loses 2
    answers["operation.ground_rules"] = "none"  # loses 2, earlier in the rubric
    result = score_branch(rubric, BranchInput("retired", answers))
    assert result.missing == (
        MissingItem("role.duties", Decimal(4), answered=False),
        MissingItem("foundation.records", Decimal(2), answered=False),
        MissingItem("team.study", Decimal(3), answered=True),
        MissingItem("operation.ground_rules", Decimal(2), answered=True),
        MissingItem("members.care", Decimal(2), answered=True),
        MissingItem("team.policy", Decimal("1.5"), answered=True),
    )


def test_next_level_items_are_the_fewest_largest_losses_that_lift_the_stars() -> None:
    rubric = default_rubric()
    answers: dict[str, str | Decimal] = {item.id: "full" for item in rubric.items_for("retired")}
    for item_id in ("team.study", "role.duties", "team.reserve", "org_life.heart_talks"):
        answers[item_id] = "none"  # loses 4 + 4 + 2 + 2: basic 88, provisional 88.00, four stars
    result = score_branch(rubric, BranchInput("retired", answers))
    assert (result.provisional.stars, result.next_level_items) == (4, ("team.study",))


def test_next_level_items_may_need_the_gate_cleared_as_well_as_the_total() -> None:
    # basic 79 with a 20 bonus totals 93.0 but the basic gate holds it at four stars;
    # one more point of basic clears the gate.
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, 79, bonus=(20,)))
    assert (result.provisional.stars, len(result.next_level_items)) == (4, 1)


@pytest.mark.parametrize(
    ("basic", "bonus", "deductions"),
    [
        (100, (), ()),  # already at the top: nothing missing
        (100, (20,), (20,)),  # a deduction blocks five stars and no item can clear it
        (90, (20,), (20,)),
    ],
)
def test_no_next_level_items_when_no_set_of_items_can_lift_the_stars(
    basic: int, bonus: tuple[int, ...], deductions: tuple[int, ...]
) -> None:
    rubric = default_rubric()
    result = score_branch(rubric, branch(rubric, basic, bonus=bonus, deductions=deductions))
    assert result.next_level_items == ()
