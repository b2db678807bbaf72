"""What a branch brings to be scored (`BranchInput`), its validation from JSON-like data, and
the review score from ballots (`review_from_ballots`).

`parse_branch_input` is the gate for untrusted input (the command line, imported files): it
reports every bad field at once, one line each, naming the field and the value. The bot builds
`BranchInput` from its own tables; `score_branch` re-checks the cheap invariants itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.decimals import (
    HUNDRED,
    ZERO,
    format_decimal,
    parse_decimal_text,
    round_cent,
    to_decimal,
)
from scoring.errors import InputError, excerpt, join
from scoring.model import Kind, Rubric

__all__ = [
    "MAX_BALLOTS",
    "MAX_CLAIM_POINTS",
    "BranchInput",
    "Claim",
    "check_claims",
    "parse_branch_input",
    "parse_number",
    "review_from_ballots",
]


_BRANCH_KEYS = ("category", "answers", "bonus", "deductions", "review")
# Ten times the seed's 100-point scale: no real bonus or deduction comes near it, and sums of
# such numbers stay exact far inside Decimal's 28 significant digits.
MAX_CLAIM_POINTS = Decimal(1000)
# More ballots than any branch has members; it keeps the ballot average exact and cheap.
MAX_BALLOTS = 100_000
# Decimal text as `pingxing score` and `rubric show --json` write it: "93.6", "-20", "0".
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class Claim:
    """One bonus award or deduction: its kind key and its points."""

    kind: str
    points: Decimal


@dataclass(frozen=True)
class BranchInput:
    """A branch to score.

    Attributes:
        category: the branch's category key.
        answers: item id → an answer level key (self-assessment) or a Decimal (a reviewer's item
            score, 0 to the item's points). Unanswered items score 0.
        bonus: bonus awards; their sum is capped by the rubric.
        deductions: deductions, each at least the rubric's minimum.
        review: the review score 0-100, or None before the review.
    """

    category: str
    answers: Mapping[str, str | Decimal]
    bonus: tuple[Claim, ...] = ()
    deductions: tuple[Claim, ...] = ()
    review: Decimal | None = None


def check_claims(rubric: Rubric, branch: BranchInput) -> list[str]:
    """Lists the problems of a branch's bonus and deduction claims (none when valid)."""
    problems = []
    if branch.bonus and rubric.bonus is None:
        problems.append("bonus: this rubric has no bonus")
    elif rubric.bonus is not None:
        problems += _claim_problems("bonus", branch.bonus, rubric.bonus.kinds, ZERO)
    deductions = rubric.deductions
    problems += _claim_problems(
        "deductions", branch.deductions, deductions.kinds, deductions.min_points
    )
    return problems


def _claim_problems(
    path: str, claims: tuple[Claim, ...], kinds: tuple[Kind, ...], minimum: Decimal
) -> list[str]:
    """Checks each claim's kind and points against the rubric's kinds and minimum."""
    keys = [kind.key for kind in kinds]
    expected = ", ".join(keys)
    what = "deduction" if minimum else "points"
    problems = []
    for index, claim in enumerate(claims):
        claim_path = join(path, index)
        if claim.kind not in keys:
            problems.append(
                f"{claim_path}.kind: unknown kind {excerpt(claim.kind)} (expected {expected})"
            )
        if claim.points < minimum:
            problems.append(
                f"{claim_path}.points: {what} {format_decimal(claim.points)} is under the minimum "
                f"{format_decimal(minimum)}"
            )
    return problems


def parse_branch_input(rubric: Rubric, data: Mapping[str, Any]) -> BranchInput:
    """Validates one branch's JSON-like data against the rubric.

    Args:
        data: `{"category", "answers", "bonus", "deductions", "review"}`; missing keys mean
            none. Numbers may be int, float (read through their shortest repr) or Decimal;
            the review score, claim points and ballot counts may also be decimal text such as
            "93.6", as `pingxing score` writes them. An answer given as text is a level key.
            Item and review scores and claim points carry at most two decimals.

    Raises:
        InputError: with one line per bad field.
    """
    if not isinstance(data, Mapping):
        raise InputError([f"<branch>: expected an object, got {excerpt(data)}"])
    problems = [
        f"{join('', str(key))}: unknown key (expected {', '.join(_BRANCH_KEYS)})"
        for key in data
        if key not in _BRANCH_KEYS
    ]
    category = data.get("category")
    if category not in [entry.key for entry in rubric.categories]:
        keys = ", ".join(entry.key for entry in rubric.categories)
        problems.append(f"category: unknown category {excerpt(category)} (expected {keys})")
        raise InputError(problems)
    answers = _parse_answers(rubric, str(category), data.get("answers") or {}, problems)
    bonus = _parse_claims(data.get("bonus") or [], "bonus", problems)
    deductions = _parse_claims(data.get("deductions") or [], "deductions", problems)
    review = _parse_review(rubric, data.get("review"), problems)
    branch = BranchInput(str(category), answers, bonus, deductions, review)
    problems.extend(check_claims(rubric, branch))
    if problems:
        raise InputError(problems)
    return branch


def _parse_answers(
    rubric: Rubric, category: str, value: Any, problems: list[str]
) -> dict[str, str | Decimal]:
    """Reads `{item id: level key | score}` for items of the branch's category."""
    if not isinstance(value, Mapping):
        problems.append(f"answers: expected an object of item ids, got {excerpt(value)}")
        return {}
    applicable = {item.id: item.points for item in rubric.items_for(category)}
    level_keys = [level.key for level in rubric.answer_levels]
    answers: dict[str, str | Decimal] = {}
    for item_id, answer in value.items():
        path = join("answers", str(item_id))
        if item_id not in applicable:
            if any(item.id == item_id for item in rubric.items):
                problems.append(f"{path}: item does not apply to category {category!r}")
            else:
                problems.append(f"{path}: unknown item {excerpt(item_id)}")
        elif isinstance(answer, str) and answer not in level_keys:
            expected = ", ".join(level_keys)
            problems.append(f"{path}: unknown level {excerpt(answer)} (expected {expected})")
        elif isinstance(answer, str):
            answers[item_id] = answer
        elif to_decimal(answer) is None:
            problems.append(f"{path}: expected a level key or a score, got {excerpt(answer)}")
        else:
            maximum = applicable[item_id]
            score = _read_number(answer, path, problems, maximum=maximum, what="score")
            if score is not None:
                answers[item_id] = score
    return answers


def _parse_claims(value: Any, path: str, problems: list[str]) -> tuple[Claim, ...]:
    """Reads `[{"kind", "points"}]`; kinds and minimums are checked by `check_claims`."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        problems.append(f"{path}: expected a list of {{kind, points}}, got {excerpt(value)}")
        return ()
    claims = []
    for index, entry in enumerate(value):
        entry_path = join(path, index)
        if not isinstance(entry, Mapping) or set(entry) != {"kind", "points"}:
            problems.append(f"{entry_path}: expected {{kind, points}}, got {excerpt(entry)}")
            continue
        points_path = join(entry_path, "points")
        points = _read_number(
            entry["points"], points_path, problems, maximum=MAX_CLAIM_POINTS, what="points"
        )
        if points is not None:
            claims.append(Claim(kind=str(entry["kind"]), points=points))
    return tuple(claims)


def _parse_review(rubric: Rubric, value: Any, problems: list[str]) -> Decimal | None:
    """Reads the review: a score 0-100, `{"ballots": {key: count}}` or null; None on a problem."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return _read_number(value, "review", problems, maximum=HUNDRED, what="score")
    if set(value) != {"ballots"} or not isinstance(value["ballots"], Mapping):
        problems.append(
            f"review: expected a score or {{ballots: {{key: count}}}}, got {excerpt(value)}"
        )
        return None
    keys = [ballot.key for ballot in rubric.review.ballots]
    counts = {}
    before = len(problems)
    for key, count in value["ballots"].items():
        path = join("review.ballots", str(key))
        if key not in keys:
            problems.append(f"{path}: unknown ballot {excerpt(key)} (expected {', '.join(keys)})")
            continue
        number = _read_number(
            count, path, problems, maximum=Decimal(MAX_BALLOTS), what="count", whole=True
        )
        if number is not None:
            counts[key] = int(number)
    if len(problems) > before:
        return None
    try:
        return review_from_ballots(rubric, counts)
    except InputError as error:
        problems.extend(error.problems)
        return None


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


def parse_number(value: object) -> Decimal | None:
    """Reads a JSON number, or decimal text such as "93.6"; None when it is neither.

    `pingxing score` writes its decimals as text so no reader turns them into binary floats;
    accepting the same text back lets its output be fed in again.
    """
    if isinstance(value, str):
        return parse_decimal_text(value) if _DECIMAL_TEXT.fullmatch(value) else None
    return to_decimal(value)


def _read_number(
    value: object,
    path: str,
    problems: list[str],
    *,
    maximum: Decimal,
    what: str,
    whole: bool = False,
) -> Decimal | None:
    """Reads a number from 0 to `maximum`, whole for a count and with at most two decimals
    otherwise; returns it, or None after recording a problem."""
    number = parse_number(value)
    if number is None:
        problems.append(f"{path}: expected a number, got {excerpt(value)}")
    elif not ZERO <= number <= maximum:
        problems.append(
            f"{path}: {what} {excerpt(number)} is outside 0 to {format_decimal(maximum)}"
        )
    elif whole and number != number.to_integral_value():
        problems.append(f"{path}: {what} {excerpt(number)} is not a whole number")
    elif number != round_cent(number):
        # Silently rounding 3.999... to 4 would hand out points nobody entered.
        problems.append(f"{path}: {what} {excerpt(number)} has more than two decimals")
    else:
        return number
    return None
