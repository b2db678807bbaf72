"""The review score (评议分) from ballots: the mean of the valid ballots' values."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from scoring.decimals import round_cent
from scoring.errors import InputError
from scoring.model import Rubric

__all__ = ["review_from_ballots"]


def review_from_ballots(rubric: Rubric, counts: Mapping[str, int]) -> Decimal:
    """Averages the ballots' values over the valid ballots, rounded half-up to 2 decimals.

    With the default rubric, 3 × 好 and 1 × 一般 make (300 + 60) / 4 = 90.

    `counts` maps ballot keys to numbers of ballots; keys not given count 0.

    Raises:
        InputError: an unknown ballot key, a count that is not a whole number of at least 0, or
            no ballots at all.
    """
    values = {ballot.key: ballot.value for ballot in rubric.review.ballots}
    problems = []
    weighted = Decimal(0)
    ballots = 0
    for key, count in counts.items():
        path = f"review.ballots.{key}"
        if key not in values:
            problems.append(f"{path}: unknown ballot {key!r} (expected {', '.join(values)})")
        elif isinstance(count, bool) or not isinstance(count, int | Decimal) or count < 0:
            problems.append(f"{path}: expected a count of at least 0, got {count!r}")
        elif isinstance(count, Decimal) and count != count.to_integral_value():
            problems.append(f"{path}: expected a whole count, got {count!r}")
        else:
            weighted += values[key] * count
            ballots += int(count)
    if not problems and ballots == 0:
        problems.append("review.ballots: no valid ballots to average")
    if problems:
        raise InputError(problems)
    # The mean can repeat forever (260 / 3); the total is rounded to cents anyway, so the review
    # score is kept to cents too and shown exactly as it is used.
    return round_cent(weighted / ballots)
