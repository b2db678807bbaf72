"""The county's spot-check sample and the review score from ballots."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import InputError, default_rubric, review_from_ballots, spot_check_sample
from tests.scoring.builders import variant


def _branches() -> list[tuple[str, int]]:
    return (
        [(f"four{i:02}", 4) for i in range(20)]
        + [(f"three{i}", 3) for i in range(7)]
        + [(f"five{i}", 5) for i in range(3)]
    )


def test_at_least_fifteen_percent_of_each_sampled_level_is_drawn_rounding_up() -> None:
    sample = spot_check_sample(default_rubric(), _branches(), seed=7)
    sizes = {stars: len(ids) for stars, ids in sample.items()}
    # 15% of 20 is 3; 15% of 7 is 1.05, rounded up to 2.
    assert sizes == {4: 3, 3: 2}


def test_each_level_is_sampled_from_its_own_branches() -> None:
    sample = spot_check_sample(default_rubric(), _branches(), seed=7)
    assert all(branch_id.startswith("four") for branch_id in sample[4])


def test_the_same_seed_draws_the_same_sample_whatever_the_order() -> None:
    forward = spot_check_sample(default_rubric(), _branches(), seed=2026)
    backward = spot_check_sample(default_rubric(), _branches()[::-1], seed=2026)
    assert forward == backward


def test_different_seeds_draw_different_samples() -> None:
    rubric = default_rubric()
    samples = {spot_check_sample(rubric, _branches(), seed=seed)[4] for seed in range(10)}
    assert len(samples) > 1


def test_a_level_with_no_branches_has_an_empty_sample() -> None:
    assert spot_check_sample(variant("strict_95"), [("a", 5)], seed=1) == {4: (), 3: ()}


@pytest.mark.parametrize(
    ("counts", "review"),
    [
        ({"good": 3, "average": 1}, "90"),
        ({"good": 1, "fairly_good": 1, "poor": 1}, "60"),
        ({"good": 2, "fairly_good": 1}, "93.33"),  # 280 / 3, rounded half-up to cents
        ({"fairly_good": 1, "average": 2}, "66.67"),
        ({"good": 5, "poor": 0}, "100"),
    ],
)
def test_ballots_average_over_the_valid_ballots(counts: dict[str, int], review: str) -> None:
    assert review_from_ballots(default_rubric(), counts) == Decimal(review)


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ({"excellent": 1}, "review.ballots.excellent: unknown ballot 'excellent'"),
        ({"good": -1}, "review.ballots.good: expected a count of at least 0, got -1"),
        ({"good": True}, "review.ballots.good: expected a count of at least 0, got True"),
        ({"good": 0}, "review.ballots: no valid ballots to average"),
    ],
)
def test_bad_ballots_are_refused_with_the_field_and_value(
    counts: dict[str, int], problem: str
) -> None:
    with pytest.raises(InputError) as raised:
        review_from_ballots(default_rubric(), counts)
    assert raised.value.problems[0].startswith(problem)
