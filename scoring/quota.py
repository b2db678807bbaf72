"""The quota (五星级党支部每年评定数量一般不超过总数的30%) over all branches of a cycle in scope.

A share applies to a scope: all branches in scope, or one category's branches (各个领域评定比例).
Within a scope:

1. Branches holding the capped level are ranked by total, then basic_100, then review,
   descending.
2. At most floor(share × branches in the scope) keep the level (30% of 7 branches is 2).
3. The rest drop one level with the reason `over_quota`.
4. Branches tied on all three keys across the cut-off all drop and are flagged
   (`tie_at_cutoff`) for the committee: the quota is never exceeded automatically.

Levels are processed from the top, so a branch dropped from five stars competes for four; within
a level, each category's share applies first, then the share of all branches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from scoring.decimals import ZERO
from scoring.model import Rubric
from scoring.score import ScoreResult

__all__ = ["OVER_QUOTA", "TIE_AT_CUTOFF", "QuotaOutcome", "QuotaResult", "apply_quota"]

# Reason codes; the handlers' catalogue says "超出五星级比例" and "并列, 待党委研究".
OVER_QUOTA = "over_quota"
TIE_AT_CUTOFF = "tie_at_cutoff"


class QuotaOutcome(NamedTuple):
    """One branch after the quota: its stars before and after it (None without a review), and
    the reason it dropped (`over_quota`, `tie_at_cutoff`) or None when unchanged."""

    branch_id: str
    stars: int | None
    stars_after_quota: int | None
    reason: str | None
    tie_at_cutoff: bool


@dataclass(frozen=True)
class QuotaResult:
    """The quota applied to a set of branches: per level's stars, the `shares` of all branches
    used (with any approved override), the `limits` they give over all `in_scope` branches and
    the `category_limits` within each category; `outcomes` has one per branch, in order given."""

    in_scope: int
    shares: dict[int, Decimal]
    limits: dict[int, int]
    category_limits: dict[int, dict[str, int]]
    outcomes: tuple[QuotaOutcome, ...]

    @property
    def five_star_limit(self) -> int | None:
        """The limit of the highest capped level (five stars in the seed), or None."""
        return self.limits[max(self.limits)] if self.limits else None

    def outcome(self, branch_id: str) -> QuotaOutcome:
        """Returns the outcome of one branch. Raises KeyError naming the id."""
        for outcome in self.outcomes:
            if outcome.branch_id == branch_id:
                return outcome
        raise KeyError(f"unknown branch {branch_id!r}")


def apply_quota(
    rubric: Rubric,
    scored: Sequence[tuple[str, ScoreResult]],
    quota_override: Decimal | None = None,
) -> QuotaResult:
    """Applies the rubric's quotas to every branch in scope.

    Args:
        scored: `(branch id, result)` for every branch in scope, including those without a
            review (they count in scope but hold no stars).
        quota_override: a higher share approved by the county for the top capped level
            (five stars in the seed).

    Raises:
        ValueError: a duplicate branch id, or an override outside (0, 1].
    """
    ids = [branch_id for branch_id, _ in scored]
    if len(set(ids)) != len(ids):
        duplicates = sorted({branch_id for branch_id in ids if ids.count(branch_id) > 1})
        raise ValueError(f"duplicate branch ids: {duplicates!r}")
    shares = dict(rubric.quota)
    if quota_override is not None:
        if not Decimal(0) < quota_override <= 1:
            raise ValueError(f"quota override must be above 0 and at most 1, got {quota_override}")
        shares[max(shares) if shares else rubric.levels[0].stars] = quota_override
    results = dict(scored)
    stars = {branch_id: result.stars for branch_id, result in scored}
    reasons: dict[str, str] = {}
    tied: set[str] = set()
    limits: dict[int, int] = {}
    category_limits: dict[int, dict[str, int]] = {}

    def cap(capped: int, share: Decimal, scope: list[str]) -> int:
        """Drops the branches of `scope` over the share of level `capped`; returns the limit."""
        limit = int((share * len(scope)).to_integral_value(rounding=ROUND_FLOOR))
        holders = [branch_id for branch_id in scope if stars[branch_id] == capped]
        if len(holders) > limit:
            dropped, at_cutoff = _over_limit(results, holders, limit)
            for branch_id in dropped:
                stars[branch_id] = rubric.level_below(capped)
                reasons[branch_id] = TIE_AT_CUTOFF if branch_id in at_cutoff else OVER_QUOTA
            tied.update(at_cutoff)
        return limit

    for capped in sorted(shares.keys() | rubric.category_quota.keys(), reverse=True):
        for category, share in rubric.category_quota.get(capped, {}).items():
            scope = [
                branch_id for branch_id in ids if results[branch_id].branch.category == category
            ]
            category_limits.setdefault(capped, {})[category] = cap(capped, share, scope)
        if capped in shares:
            limits[capped] = cap(capped, shares[capped], ids)
    outcomes = tuple(
        QuotaOutcome(
            branch_id, result.stars, stars[branch_id], reasons.get(branch_id), branch_id in tied
        )
        for branch_id, result in scored
    )
    return QuotaResult(
        in_scope=len(scored),
        shares=shares,
        limits=limits,
        category_limits=category_limits,
        outcomes=outcomes,
    )


def _over_limit(
    results: dict[str, ScoreResult], holders: list[str], limit: int
) -> tuple[list[str], set[str]]:
    """Returns the branches that lose the level, and those among them tied at the cut-off."""
    keys = {branch_id: _rank_key(results[branch_id]) for branch_id in holders}
    ranked = sorted(holders, key=keys.__getitem__, reverse=True)
    tied: set[str] = set()
    kept = limit
    if limit > 0:
        cutoff_key = keys[ranked[limit - 1]]
        if keys[ranked[limit]] == cutoff_key:
            # Keeping only some of the tied would exceed the quota or pick arbitrarily.
            tied = {branch_id for branch_id in ranked if keys[branch_id] == cutoff_key}
            kept = sum(1 for branch_id in ranked[:limit] if keys[branch_id] > cutoff_key)
    return ranked[kept:], tied


def _rank_key(result: ScoreResult) -> tuple[Decimal, Decimal, Decimal]:
    """Ranks by total, then basic_100, then review (all present for a branch holding stars)."""
    return (result.total or ZERO, result.basic_100, result.review or ZERO)
