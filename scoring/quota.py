"""The quota (五星级党支部每年评定数量一般不超过总数的30%) over all branches of a cycle in scope.

1. Branches holding a capped level are ranked by total, then basic_100, then review, descending.
2. At most floor(share × branches in scope) keep the level (30% of 7 branches is 2).
3. The rest drop one level with the reason `over_quota`.
4. Branches tied on all three keys across the cut-off all drop and are flagged
   (`tie_at_cutoff`) for the committee: the quota is never exceeded automatically.

Levels are processed from the top, so a branch dropped from five stars competes for four.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import partial
from typing import NamedTuple, overload

from scoring.model import Rubric
from scoring.score import ScoreResult

__all__ = [
    "OVER_QUOTA",
    "TIE_AT_CUTOFF",
    "QuotaOutcome",
    "QuotaOutcomes",
    "QuotaResult",
    "apply_quota",
]

# Reason codes; the handlers' catalogue says "超出五星级比例" and "并列, 待党委研究".
OVER_QUOTA = "over_quota"
TIE_AT_CUTOFF = "tie_at_cutoff"


class QuotaOutcome(NamedTuple):
    """One branch after the quota.

    Attributes:
        branch_id: the id the caller gave.
        stars: the stars after the gates, before the quota (None without a review).
        stars_after_quota: the stars after the quota (None without a review).
        reason: None when unchanged, else `over_quota` or `tie_at_cutoff`.
        tie_at_cutoff: tied on total, basic_100 and review across a cut-off; the committee
            decides.
    """

    branch_id: str
    stars: int | None
    stars_after_quota: int | None
    reason: str | None
    tie_at_cutoff: bool


class QuotaOutcomes(Sequence[QuotaOutcome]):
    """The outcomes of a quota, one per branch in the order given, built as they are read.

    The quota's decisions are kept as columns (ids, stars, reasons, ties); an outcome is a
    short-lived named tuple made on access. A county of 100,000 branches then holds five
    lists instead of 100,000 objects for the garbage collector to walk again and again.
    """

    __slots__ = ("_columns",)

    def __init__(
        self,
        branch_ids: Sequence[str],
        stars: Sequence[int | None],
        stars_after_quota: Sequence[int | None],
        reasons: Sequence[str | None],
        tie_at_cutoff: Sequence[bool],
    ) -> None:
        self._columns = (
            tuple(branch_ids),
            tuple(stars),
            tuple(stars_after_quota),
            tuple(reasons),
            tuple(tie_at_cutoff),
        )

    def __len__(self) -> int:
        return len(self._columns[0])

    @overload
    def __getitem__(self, index: int) -> QuotaOutcome: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[QuotaOutcome, ...]: ...

    def __getitem__(self, index: int | slice) -> QuotaOutcome | tuple[QuotaOutcome, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        ids, stars, after, reasons, ties = self._columns
        return QuotaOutcome(ids[index], stars[index], after[index], reasons[index], ties[index])

    def __iter__(self) -> Iterator[QuotaOutcome]:
        # `tuple.__new__` is what a named tuple's own constructor calls, here mapped in C.
        return map(partial(tuple.__new__, QuotaOutcome), zip(*self._columns, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, QuotaOutcomes):
            return self._columns == other._columns
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._columns)

    def __repr__(self) -> str:
        return f"QuotaOutcomes({list(self)!r})"


@dataclass(frozen=True)
class QuotaResult:
    """The quota applied to a set of branches.

    Attributes:
        in_scope: the number of branches the shares apply to.
        shares: stars → the share used (with any approved override).
        limits: stars → the most branches that may hold that level.
        outcomes: one per branch, in the order given (a sequence of `QuotaOutcome`).
    """

    in_scope: int
    shares: dict[int, Decimal]
    limits: dict[int, int]
    outcomes: QuotaOutcomes

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
        rubric: gives the shares per level and the level order.
        scored: `(branch id, result)` for every branch in scope, including those without a
            review (they count in scope but hold no stars).
        quota_override: a higher share approved by the county for the top capped level
            (five stars in the seed).

    Raises:
        ValueError: a duplicate branch id, or an override outside (0, 1].
    """
    ids = [branch_id for branch_id, _ in scored]
    results = [result for _, result in scored]
    if len(set(ids)) != len(ids):
        duplicates = sorted({branch_id for branch_id in ids if ids.count(branch_id) > 1})
        raise ValueError(f"duplicate branch ids: {duplicates!r}")
    shares = dict(rubric.quota)
    if quota_override is not None:
        if not Decimal(0) < quota_override <= 1:
            raise ValueError(f"quota override must be above 0 and at most 1, got {quota_override}")
        shares[max(shares) if shares else rubric.levels[0].stars] = quota_override
    in_scope = len(scored)
    # Branches are addressed by position from here on: lists indexed by position cost a
    # fraction of dictionaries keyed by id when a county holds 100,000 branches.
    before = [result.stars for result in results]
    stars = list(before)
    reasons: list[str | None] = [None] * in_scope
    tied: list[bool] = [False] * in_scope
    limits = {}
    for capped in sorted(shares, reverse=True):
        limit = int((shares[capped] * in_scope).to_integral_value(rounding=ROUND_FLOOR))
        limits[capped] = limit
        holders = [position for position, held in enumerate(stars) if held == capped]
        if len(holders) <= limit:
            continue
        dropped, at_cutoff = _over_limit(results, holders, limit)
        below = rubric.level_below(capped)
        for position in dropped:
            stars[position] = below
            reasons[position] = TIE_AT_CUTOFF if position in at_cutoff else OVER_QUOTA
        for position in at_cutoff:
            tied[position] = True
    outcomes = QuotaOutcomes(ids, before, stars, reasons, tied)
    return QuotaResult(in_scope=in_scope, shares=shares, limits=limits, outcomes=outcomes)


def _over_limit(
    results: list[ScoreResult], holders: list[int], limit: int
) -> tuple[list[int], set[int]]:
    """Returns the positions that lose the level, and those among them tied at the cut-off."""
    keys = [_rank_key(results[position]) for position in holders]
    ranked = sorted(range(len(holders)), key=keys.__getitem__, reverse=True)
    tied: set[int] = set()
    kept = limit
    if limit > 0:
        cutoff_key = keys[ranked[limit - 1]]
        if keys[ranked[limit]] == cutoff_key:
            # Keeping only some of the tied would exceed the quota or pick arbitrarily.
            tied = {holders[index] for index in ranked if keys[index] == cutoff_key}
            kept = sum(1 for index in ranked[:limit] if keys[index] > cutoff_key)
    return [holders[index] for index in ranked[kept:]], tied


def _rank_key(result: ScoreResult) -> tuple[Decimal, Decimal, Decimal]:
    """Ranks by total, then basic_100, then review (all present for a branch holding stars)."""
    zero = Decimal(0)
    return (
        result.total if result.total is not None else zero,
        result.basic_100,
        result.review if result.review is not None else zero,
    )
