"""Scores 100,000 branches of the default rubric and applies the quota, in one process.

Run: `python -m benchmarks scoring` (or `make bench`). The goals, on a 2-core machine: the
100,000 branches with the quota under 5 s (a county scores a few thousand a year), and one
branch's full feedback, which the bot computes on a button press, under 1 ms. The figures are
printed, never asserted: a shared machine's timings vary by half.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from scoring import BranchInput, Claim, Rubric, apply_quota, default_rubric, score_branch

__all__ = ["build_branches", "main"]

BRANCHES = 100_000
SEED = 2026
FEEDBACK_SAMPLE = 2_000


def build_branches(count: int, seed: int = SEED) -> list[tuple[str, BranchInput]]:
    """Builds a realistic mix: most items full, some partial or none, a few unanswered."""
    rubric = default_rubric()
    generator = random.Random(seed)
    categories = [category.key for category in rubric.categories]
    bonus_kinds = [kind.key for kind in rubric.bonus.kinds] if rubric.bonus else []
    levels = ["full"] * 14 + ["partial"] * 4 + ["none"]
    branches = []
    for index in range(count):
        category = generator.choice(categories)
        answers: dict[str, str | Decimal] = {}
        for item in rubric.items_for(category):
            if generator.random() < 0.97:
                answers[item.id] = generator.choice(levels)
        bonus = tuple(
            Claim(generator.choice(bonus_kinds), Decimal(generator.choice((2, 5, 10))))
            for _ in range(generator.choice((0, 0, 0, 1, 2)))
        )
        deductions = (Claim("other", Decimal(20)),) if generator.random() < 0.03 else ()
        review = Decimal(generator.randint(6000, 10000)).scaleb(-2)
        branches.append(
            (f"b{index:06}", BranchInput(category, answers, bonus, deductions, review))
        )
    return branches


def main() -> None:
    """Prints the time to score every branch (figures and feedback), apply the quota and read
    each outcome, and the time of one branch's full feedback (what the bot computes on a press).
    """
    rubric = default_rubric()
    branches = build_branches(BRANCHES)
    wall, cpu = time.perf_counter(), time.process_time()
    scored = [(branch_id, score_branch(rubric, branch)) for branch_id, branch in branches]
    scored_wall, scored_cpu = time.perf_counter() - wall, time.process_time() - cpu
    quota = apply_quota(rubric, scored)
    # Every outcome is read, as `pingxing score` does when it prints the batch.
    five_stars = sum(1 for outcome in quota.outcomes if outcome.stars_after_quota == 5)
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    each = scored_wall / len(scored) * 1e6
    print(f"branches scored:          {len(scored):,}")
    print(f"score_branch:             {scored_wall:.3f} s wall, {scored_cpu:.3f} s CPU")
    print(f"one branch:               {each:.1f} us")
    print(
        f"score + apply_quota:      {total_wall:.3f} s wall, {total_cpu:.3f} s CPU (goal: < 5 s)"
    )
    feedback = _one_branch_feedback(rubric, branches)
    print(f"one branch's feedback:    {feedback:.1f} us (goal: < 1,000 us)")
    print(f"five stars after quota:   {five_stars:,} (limit {quota.five_star_limit:,})")


def _one_branch_feedback(rubric: Rubric, branches: list[tuple[str, BranchInput]]) -> float:
    """Microseconds to score one branch and read all its views, as on a button press.

    The best of five passes over 2,000 branches.
    """
    sample = [branch for _, branch in branches[:FEEDBACK_SAMPLE]]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for branch in sample:
            result = score_branch(rubric, branch)
            _ = (result.missing, result.provisional, result.next_level_items, result.areas)
        best = min(best, time.perf_counter() - start)
    return best / len(sample) * 1e6


if __name__ == "__main__":
    main()
