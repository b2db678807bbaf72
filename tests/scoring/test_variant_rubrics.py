"""Other localities' rules, expressed as rubric data and scored (tests/scoring/rubrics/)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import BranchInput, default_rubric, score_branch
from tests.scoring.builders import branch, variant


def test_a_150_point_basic_total_is_brought_to_the_100_scale() -> None:
    rubric = variant("town_150")
    result = score_branch(rubric, branch(rubric, 135, review=90))
    assert (result.basic, result.basic_100, result.total, result.stars) == (
        Decimal(135),
        Decimal(90),
        Decimal("90.00"),
        5,
    )


def test_a_150_point_rubric_keeps_exact_thirds() -> None:
    # 100 of 150 is 66.666…; the total rounds only at the end: 0.7 × 66.67 + 30 = 76.67.
    rubric = variant("town_150")
    result = score_branch(rubric, branch(rubric, 100, review=100))
    assert (result.total, result.stars) == (Decimal("76.67"), 3)


def test_answer_levels_with_other_fractions_score_their_share() -> None:
    rubric = variant("town_150")
    answers: dict[str, str | Decimal] = {"team.study": "mostly", "team.election": "partly"}
    assert score_branch(rubric, BranchInput("enterprise", answers)).basic == Decimal(50)


def test_categories_have_their_own_items() -> None:
    rubric = variant("town_150")
    assert [item.id for item in rubric.items_for("enterprise")] == [
        "team.study",
        "team.election",
        "role.shared",
        "role.business",
    ]


def test_a_higher_basic_gate_blocks_five_stars_at_its_own_threshold() -> None:
    rubric = variant("town_150")
    # 126 of 150 is 84 on the 100 scale: under this town's 85.
    result = score_branch(rubric, branch(rubric, 126, bonus=(10,), review=100))
    assert (result.total, result.gates, result.stars) == (
        Decimal("95.80"),
        ("basic_below_85",),
        4,
    )


@pytest.mark.parametrize(
    ("basic", "review", "stars"),
    [(100, 75, 5), (100, 74, 4), (90, 90, 4), (80, 60, 3), (70, 60, 0), (85, 75, 3), (0, 0, 0)],
)
def test_a_95_cut_off_and_an_unrated_bottom(basic: int, review: int, stars: int) -> None:
    # strict_95: 0.8 × assessment + 0.2 × review; 95 / 85 / 75, below that unrated (0).
    rubric = variant("strict_95")
    assert score_branch(rubric, branch(rubric, basic, review=review)).stars == stars


def test_a_rubric_without_bonus_scores_no_bonus() -> None:
    rubric = variant("strict_95")
    assert (rubric.bonus, score_branch(rubric, branch(rubric, 100)).bonus) == (None, 0)


def test_weights_outside_the_seed_s_bounds_load_with_a_warning() -> None:
    rubric = variant("review_heavy")
    assert (len(rubric.warnings), default_rubric().warnings) == (1, ())
    assert "departs from the seed" in rubric.warnings[0]


def test_a_rubric_may_let_deductions_pass_and_gate_four_stars_instead() -> None:
    rubric = variant("review_heavy")
    # 0.6 × (100 + 30 − 5) + 0.4 × 100 = 115
    result = score_branch(rubric, branch(rubric, 100, bonus=(30,), deductions=(5,), review=100))
    assert (result.total, result.gates, result.stars) == (Decimal("115.00"), (), 4)


def test_needed_review_uses_the_rubric_s_own_weights() -> None:
    rubric = variant("review_heavy")
    # four stars: (85 − 0.005 − 0.6 × 60) / 0.4 = 122.49 > 100
    needed = score_branch(rubric, branch(rubric, 60)).provisional.needed_review
    assert needed == {4: "out_of_reach", 3: Decimal("84.99"), 2: "reached"}
