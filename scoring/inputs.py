"""What a branch brings to be scored (`BranchInput`), and its validation from JSON-like data.

`parse_branch_input` is the gate for untrusted input (the command line, imported files): it
reports every bad field at once, one line each, naming the field and the value. The bot builds
`BranchInput` from its own tables; `score_branch` re-checks the cheap invariants itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scoring.decimals import ZERO, format_decimal, to_decimal
from scoring.errors import InputError
from scoring.model import Rubric
from scoring.review import review_from_ballots

__all__ = ["BranchInput", "Claim", "InputError", "check_claims", "parse_branch_input"]

_HUNDRED = Decimal(100)
_BRANCH_KEYS = ("category", "answers", "bonus", "deductions", "review")


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
    bonus_kinds, deduction_kinds = rubric.claim_kinds
    minimum = rubric.deductions.min_points
    # The common case, checked without building messages: every claim is valid.
    if (
        (rubric.bonus is not None or not branch.bonus)
        and all(claim.kind in bonus_kinds and claim.points >= ZERO for claim in branch.bonus)
        and all(
            claim.kind in deduction_kinds and claim.points >= minimum
            for claim in branch.deductions
        )
    ):
        return []
    problems = []
    if branch.bonus and rubric.bonus is None:
        problems.append("bonus: this rubric has no bonus")
    elif rubric.bonus is not None:
        kinds = [kind.key for kind in rubric.bonus.kinds]
        for index, claim in enumerate(branch.bonus):
            problems.extend(_claim_problems(f"bonus[{index}]", claim, kinds, ZERO))
    kinds = [kind.key for kind in rubric.deductions.kinds]
    for index, claim in enumerate(branch.deductions):
        problems.extend(
            _claim_problems(f"deductions[{index}]", claim, kinds, rubric.deductions.min_points)
        )
    return problems


def _claim_problems(path: str, claim: Claim, kinds: list[str], minimum: Decimal) -> list[str]:
    """Checks one claim's kind and points against the rubric."""
    problems = []
    if claim.kind not in kinds:
        problems.append(f"{path}.kind: unknown kind {claim.kind!r} (expected {', '.join(kinds)})")
    if claim.points < minimum:
        what = "deduction" if minimum else "points"
        problems.append(
            f"{path}.points: {what} {format_decimal(claim.points)} is under the minimum "
            f"{format_decimal(minimum)}"
        )
    return problems


def parse_branch_input(rubric: Rubric, data: Mapping[str, Any]) -> BranchInput:
    """Validates one branch's JSON-like data against the rubric.

    Args:
        rubric: the rubric the branch is scored on.
        data: `{"category", "answers", "bonus", "deductions", "review"}`; missing keys mean
            none. Numbers may be int, float (read through their shortest repr) or Decimal.

    Raises:
        InputError: with one line per bad field.
    """
    if not isinstance(data, Mapping):
        raise InputError([f"<branch>: expected an object, got {data!r}"])
    problems = [
        f"{key}: unknown key (expected {', '.join(_BRANCH_KEYS)})"
        for key in data
        if key not in _BRANCH_KEYS
    ]
    category = data.get("category")
    if category not in [entry.key for entry in rubric.categories]:
        keys = ", ".join(entry.key for entry in rubric.categories)
        problems.append(f"category: unknown category {category!r} (expected {keys})")
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
        problems.append(f"answers: expected an object of item ids, got {value!r}")
        return {}
    applicable = {item.id for item in rubric.items_for(category)}
    level_keys = [level.key for level in rubric.answer_levels]
    answers: dict[str, str | Decimal] = {}
    for item_id, answer in value.items():
        path = f"answers.{item_id}"
        if item_id not in applicable:
            try:
                rubric.item(str(item_id))
            except KeyError:
                problems.append(f"{path}: unknown item {item_id!r}")
            else:
                problems.append(f"{path}: item does not apply to category {category!r}")
            continue
        if isinstance(answer, str):
            if answer in level_keys:
                answers[item_id] = answer
            else:
                problems.append(
                    f"{path}: unknown level {answer!r} (expected {', '.join(level_keys)})"
                )
            continue
        score = to_decimal(answer)
        points = rubric.item(item_id).points
        if score is None:
            problems.append(f"{path}: expected a level key or a score, got {answer!r}")
        elif not ZERO <= score <= points:
            problems.append(
                f"{path}: score {format_decimal(score)} is outside 0 to {format_decimal(points)}"
            )
        else:
            answers[item_id] = score
    return answers


def _parse_claims(value: Any, path: str, problems: list[str]) -> tuple[Claim, ...]:
    """Reads `[{"kind", "points"}]`; kinds and minimums are checked by `check_claims`."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        problems.append(f"{path}: expected a list of {{kind, points}}, got {value!r}")
        return ()
    claims = []
    for index, entry in enumerate(value):
        entry_path = f"{path}[{index}]"
        if not isinstance(entry, Mapping) or set(entry) != {"kind", "points"}:
            problems.append(f"{entry_path}: expected {{kind, points}}, got {entry!r}")
            continue
        points = to_decimal(entry["points"])
        if points is None or points < 0:
            problems.append(
                f"{entry_path}.points: expected a number of at least 0, got {entry['points']!r}"
            )
            continue
        claims.append(Claim(kind=str(entry["kind"]), points=points))
    return tuple(claims)


def _parse_review(rubric: Rubric, value: Any, problems: list[str]) -> Decimal | None:
    """Reads the review: a score 0-100, `{"ballots": {key: count}}`, or null."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        if set(value) != {"ballots"} or not isinstance(value["ballots"], Mapping):
            problems.append(
                f"review: expected a score or {{ballots: {{key: count}}}}, got {value!r}"
            )
            return None
        try:
            return review_from_ballots(rubric, value["ballots"])
        except InputError as error:
            problems.extend(error.problems)
            return None
    review = to_decimal(value)
    if review is None or not ZERO <= review <= _HUNDRED:
        problems.append(f"review: expected a score from 0 to 100, got {value!r}")
        return None
    return review
