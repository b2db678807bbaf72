"""The quota: ranking, floor, ties at the cut-off, approved overrides, several capped levels."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring import (
    OVER_QUOTA,
    TIE_AT_CUTOFF,
    ScoreResult,
    apply_quota,
    default_rubric,
    score_branch,
)
from tests.scoring.builders import branch, variant


def _scored(*rows: tuple[str, int, str]) -> list[tuple[str, ScoreResult]]:
    """(id, basic, review) rows scored on the default rubric."""
    rubric = default_rubric()
    return [
        (name, score_branch(rubric, branch(rubric, basic, review=review)))
        for name, basic, review in rows
    ]


def test_thirty_percent_of_seven_branches_keeps_two_five_star_branches() -> None:
    scored = _scored(
        ("a", 100, "100"),
        ("b", 98, "100"),
        ("c", 96, "100"),
        ("d", 94, "100"),
        ("e", 70, "70"),
        ("f", 70, "70"),
        ("g", 70, "70"),
    )
    quota = apply_quota(default_rubric(), scored)
    after = {o.branch_id: (o.stars_after_quota, o.reason) for o in quota.outcomes}
    assert (quota.five_star_limit, after["a"], after["b"], after["c"], after["d"]) == (
        2,
        (5, None),
        (5, None),
        (4, OVER_QUOTA),
        (4, OVER_QUOTA),
    )


def test_ranking_falls_back_to_basic_then_review_when_totals_tie() -> None:
    # All total 95.00: basic 95 & review 95, basic 100 & review 83.33 (0.7×100+25=95),
    # basic 93.5 & review 98.5.
    scored = _scored(
        ("x", 95, "95"),
        ("y", 100, "83.34"),
        ("z", "93.5", "98.5"),
        *[(f"n{i}", 50, "50") for i in range(4)],
    )
    totals = {name: result.total for name, result in scored[:3]}
    quota = apply_quota(default_rubric(), scored)
    kept = [o.branch_id for o in quota.outcomes if o.stars_after_quota == 5]
    assert (totals, kept) == (
        {"x": Decimal("95.00"), "y": Decimal("95.00"), "z": Decimal("95.00")},
        ["x", "y"],
    )


def test_branches_tied_on_every_key_across_the_cut_off_all_stay_at_four_and_are_flagged() -> None:
    scored = _scored(
        ("top", 100, "100"),
        ("tie1", 95, "95"),
        ("tie2", 95, "95"),
        *[(f"n{i}", 50, "50") for i in range(4)],
    )
    quota = apply_quota(default_rubric(), scored)
    after = {o.branch_id: (o.stars_after_quota, o.reason, o.tie_at_cutoff) for o in quota.outcomes}
    assert (after["top"], after["tie1"], after["tie2"]) == (
        (5, None, False),
        (4, TIE_AT_CUTOFF, True),
        (4, TIE_AT_CUTOFF, True),
    )


def test_an_approved_higher_share_lets_more_branches_keep_five_stars() -> None:
    scored = _scored(*[(f"b{i}", 100 - i, "100") for i in range(5)], ("z", 50, "50"))
    default_kept = apply_quota(default_rubric(), scored).five_star_limit
    quota = apply_quota(default_rubric(), scored, quota_override=Decimal("0.5"))
    kept = sum(1 for o in quota.outcomes if o.stars_after_quota == 5)
    assert (default_kept, quota.five_star_limit, kept) == (1, 3, 3)


def test_branches_without_a_review_count_in_scope_but_hold_no_stars() -> None:
    rubric = default_rubric()
    scored = _scored(("a", 100, "100"), ("b", 99, "100"), ("c", 98, "100"))
    scored += [(f"open{i}", score_branch(rubric, branch(rubric, 90))) for i in range(7)]
    quota = apply_quota(rubric, scored)
    kept = [o.branch_id for o in quota.outcomes if o.stars_after_quota == 5]
    assert (quota.in_scope, quota.five_star_limit, kept, quota.outcome("open0").stars) == (
        10,
        3,
        ["a", "b", "c"],
        None,
    )


def test_quotas_on_several_levels_apply_from_the_top() -> None:
    # strict_95: five stars ≤ 20%, four stars ≤ 30% of 10 branches.
    rubric = variant("strict_95")
    scored = [(f"b{i}", score_branch(rubric, branch(rubric, 100, review="100"))) for i in range(3)]
    scored[0] = ("b0", score_branch(rubric, branch(rubric, 100, review="99")))
    scored += [
        (f"m{i}", score_branch(rubric, branch(rubric, 90, review=str(90 - i)))) for i in range(3)
    ]
    scored += [(f"low{i}", score_branch(rubric, branch(rubric, 0, review="0"))) for i in range(4)]
    quota = apply_quota(rubric, scored)
    after = {o.branch_id: o.stars_after_quota for o in quota.outcomes}
    assert (quota.limits, after["b1"], after["b2"], after["b0"], after["m0"], after["m2"]) == (
        {5: 2, 4: 3},
        5,
        5,
        4,
        4,
        3,
    )


@pytest.mark.parametrize("override", [Decimal(0), Decimal("1.5"), Decimal(-1)])
def test_an_override_outside_zero_to_one_is_refused(override: Decimal) -> None:
    with pytest.raises(ValueError, match="quota override"):
        apply_quota(default_rubric(), _scored(("a", 90, "90")), quota_override=override)


def test_duplicate_branch_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate branch ids: \\['a'\\]"):
        apply_quota(default_rubric(), _scored(("a", 90, "90"), ("a", 80, "80")))
