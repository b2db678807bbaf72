"""The 小结: where a branch stands while its secretary is still answering, as plain-text parts.

Send the text without `parse_mode`: item texts and reasons come from rubrics and users; plain
text needs no escaping. Every sentence comes from `handlers/catalogue/zh/summary.yaml`; this module
only chooses and orders them. The figures all come from `scoring.score_branch`, so the summary can
never disagree with the score the town will see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from handlers.cards import format_points
from handlers.catalogue import text
from scoring import (
    REACHED,
    BasicBelow,
    BonusRules,
    DeductionRules,
    Rubric,
    ScoreResult,
)
from scoring.decimals import ceil_cent
from storage.models import Claim, ClaimDirection, ClaimStatus

__all__ = [
    "MESSAGE_LIMIT",
    "format_points",
    "format_review",
    "render_summary",
    "split_message",
]

# Telegram's limit for one message's text, counted in UTF-16 code units (an emoji counts twice).
MESSAGE_LIMIT = 4096

# Room kept in each part for the "(小结续 2/3)" line that numbers the parts.
_CONTINUED_RESERVE = 32


def format_review(value: Decimal) -> str:
    """Formats a needed review score, rounded up to the cent so reaching it is always enough."""
    return format_points(ceil_cent(value))


def _utf16_length(line: str) -> int:
    """Counts a text the way Telegram does for its length limits."""
    return len(line.encode("utf-16-le")) // 2


def _cut(line: str, limit: int) -> Iterable[str]:
    """Cuts a line longer than `limit` into pieces; half the limit is safe for wide characters."""
    while _utf16_length(line) >= limit:
        yield line[: limit // 2]
        line = line[limit // 2 :]
    yield line


def split_message(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Joins lines into as few messages as fit under `limit`, breaking only between lines.

    Blank lines at a break are dropped, since Telegram trims them anyway. A single line longer than
    the limit (no rubric has one) is cut at the limit rather than lost.

    Args:
        lines: the message's lines, without newlines.
        limit: the largest length of a part, in UTF-16 code units.

    Returns:
        The parts, each shorter than `limit` and none empty.
    """
    parts: list[list[str]] = [[]]
    size = 0
    for piece in (piece for line in lines for piece in _cut(line, limit)):
        if parts[-1] and size + 1 + _utf16_length(piece) >= limit:  # 1: the joining newline
            parts.append([])
        if not parts[-1]:
            if not piece.strip():
                continue
            size = -1  # the first line of a part has no newline before it
        parts[-1].append(piece)
        size += 1 + _utf16_length(piece)
    return [joined for joined in ("\n".join(part).strip() for part in parts) if joined]


def _header(
    rubric: Rubric, result: ScoreResult, category: str, evidence: Mapping[str, int]
) -> list[str]:
    """The title, progress and the note that this is a provisional view."""
    total = len(rubric.items_for(category))
    unanswered = sum(1 for missing in result.missing if not missing.answered)
    return [
        text("summary.title", category=rubric.category(category).label),
        text(
            "summary.progress",
            answered=total - unanswered,
            total=total,
            evidence=sum(evidence.values()),
        ),
        text("summary.provisional_note"),
    ]


def _areas(rubric: Rubric, result: ScoreResult) -> list[str]:
    """Per area the basic score, then the basic total (and its 100-point scale if it differs)."""
    lines = [text("summary.areas_heading")]
    for area_score in result.areas:
        lines.append(
            text(
                "summary.area_line",
                area=rubric.area(area_score.key).title,
                scored=format_points(area_score.scored),
                full=format_points(area_score.full),
            )
        )
    figures = {
        "basic": format_points(result.basic),
        "basic_total": format_points(rubric.basic_total),
        "basic_100": format_points(result.basic_100),
    }
    # A rubric whose basic items add up to 100 needs no "折合百分制" clause.
    key = "summary.basic_line" if rubric.basic_total == 100 else "summary.basic_scaled_line"
    lines.append(text(key, **figures))
    return lines


def _claim_lines(rules: BonusRules | DeductionRules, claims: Sequence[Claim]) -> list[str]:
    """One line per declared claim: its kind, points, review status and reason."""
    labels = {kind.key: kind.label for kind in rules.kinds}
    return [
        text(
            "summary.claim_line",
            kind=labels.get(claim.kind, claim.kind),
            points=format_points(_counted_points(claim)),
            status=text(f"summary.claim_status.{ClaimStatus(claim.status)}"),
            reason=text("summary.claim_reason", reason=claim.reason) if claim.reason else "",
        )
        for claim in claims
    ]


def _counted_points(claim: Claim) -> Decimal:
    """The points that count for a claim: awarded if decided, else asked for."""
    return claim.points_claimed if claim.points_awarded is None else claim.points_awarded


def _bonus(rubric: Rubric, result: ScoreResult, claims: Sequence[Claim]) -> list[str]:
    """The capped bonus, with a note when the declared points exceed the cap."""
    lines = [text("summary.bonus_heading")]
    if rubric.bonus is None:
        return [*lines, text("summary.bonus_not_in_rubric")]
    if not claims and not result.bonus:
        return [*lines, text("summary.bonus_none")]
    cap = format_points(rubric.bonus.cap)
    lines.append(text("summary.bonus_line", bonus=format_points(result.bonus), cap=cap))
    if result.bonus_claimed > result.bonus:
        claimed = format_points(result.bonus_claimed)
        lines.append(text("summary.bonus_capped", claimed=claimed, cap=cap))
    return [*lines, *_claim_lines(rubric.bonus, claims)]


def _deductions(rubric: Rubric, result: ScoreResult, claims: Sequence[Claim]) -> list[str]:
    """The deductions declared, their total and the minimum per deduction."""
    lines = [text("summary.deductions_heading")]
    if not claims and not result.deduction:
        return [*lines, text("summary.deductions_none")]
    lines.append(
        text(
            "summary.deduction_line",
            deduction=format_points(result.deduction),
            minimum=format_points(rubric.deductions.min_points),
        )
    )
    return [*lines, *_claim_lines(rubric.deductions, claims)]


def _provisional(rubric: Rubric, result: ScoreResult) -> list[str]:
    """The provisional star, with the assumption about the review score stated."""
    provisional = result.provisional
    level = rubric.level(provisional.stars).label
    total = f"{provisional.total:f}"  # a rounded total keeps its cents: 90.00
    return [
        text("summary.provisional_heading"),
        text("summary.provisional_line", level=level, total=total),
        text(
            "summary.provisional_assumption",
            assumed_review=format_points(provisional.assumed_review),
        ),
    ]


def _needed(rubric: Rubric, result: ScoreResult) -> list[str]:
    """For every level, the review score that would reach it."""
    lines = [text("summary.needed_heading")]
    provisional = result.provisional
    for level in rubric.levels:
        figures = {"level": level.label, "minimum": format_points(level.min_total)}
        needed = provisional.needed_review[level.stars]
        if level.min_total <= 0:
            lines.append(text("summary.needed_bottom", level=level.label))
        elif needed == REACHED:
            lines.append(text("summary.needed_reached", **figures))
        elif level.stars in provisional.gated:
            lines.append(text("summary.needed_gated", **figures))
        elif isinstance(needed, Decimal):
            lines.append(text("summary.needed_line", needed=format_review(needed), **figures))
        else:  # OUT_OF_REACH: over 100
            lines.append(text("summary.needed_out_of_reach", **figures))
    return lines


def _gates(rubric: Rubric, result: ScoreResult) -> list[str]:
    """The gates that already rule out the higher levels, whatever the review brings."""
    gated = result.provisional.gated
    if not gated:
        return []
    lines = [text("summary.gates_heading", level=rubric.level(min(gated)).label)]
    for key in result.gates:
        gate = rubric.gate(key)
        if gate.label is not None:
            line = text("summary.gate.labelled", label=gate.label)
        elif isinstance(gate.condition, BasicBelow):
            line = text(
                "summary.gate.basic_below_minimum",
                basic_100=format_points(result.basic_100),
                minimum=format_points(gate.condition.minimum),
            )
        else:  # the older two-field form has only these two gates
            line = text("summary.gate.has_deduction", deduction=format_points(result.deduction))
        lines.append(line)
    return lines


def _item_names(rubric: Rubric, item_id: str) -> dict[str, str]:
    """The area title and the item text, for a line naming an item."""
    item = rubric.item(item_id)
    return {"area": rubric.area(item.area).title, "item": item.text}


def _missing(rubric: Rubric, result: ScoreResult, evidence: Mapping[str, int]) -> list[str]:
    """Every item below full marks: unanswered first, then the largest loss first."""
    lines = [text("summary.missing_heading")]
    if not result.missing:
        return [*lines, text("summary.missing_none")]
    for missing in result.missing:
        names = _item_names(rubric, missing.item_id)
        if missing.answered:
            line = text("summary.missing_answered", lost=format_points(missing.lost), **names)
        else:
            line = text("summary.missing_unanswered", points=format_points(missing.lost), **names)
        count = evidence.get(missing.item_id, 0)
        if count:
            line += text("summary.missing_evidence", count=count)
        lines.append(line)
    return lines


def _next_level(rubric: Rubric, result: ScoreResult) -> list[str]:
    """The fewest items whose full marks would lift the provisional star by one level."""
    lines = [text("summary.next_heading")]
    higher = [level for level in rubric.levels if level.stars > result.provisional.stars]
    if not higher:
        return [*lines, text("summary.next_top")]
    target = higher[-1]  # levels run from the top: the last one above is the next one up
    if not result.next_level_items:
        return [*lines, text("summary.next_none", level=target.label)]
    lost = {missing.item_id: missing.lost for missing in result.missing}
    lines.append(
        text("summary.next_items", count=len(result.next_level_items), level=target.label)
    )
    for item_id in result.next_level_items:
        gain = format_points(lost[item_id])
        lines.append(text("summary.next_item_line", gain=gain, **_item_names(rubric, item_id)))
    return lines


def render_summary(
    rubric: Rubric,
    result: ScoreResult,
    *,
    category: str,
    evidence_counts: dict[str, int],
    claims: Sequence[Claim] = (),
) -> list[str]:
    """Renders the 小结 of a branch's self-assessment as plain-text messages.

    Args:
        rubric: the `scoring.Rubric` of the branch's cycle (its pinned snapshot).
        result: `scoring.score_branch(rubric, branch_input)` for the branch's current answers.
        category: the branch's category key (`rural`, ...).
        evidence_counts: pieces of evidence per item id.
        claims: the declared bonus and deduction claims (storage rows).

    Returns:
        The messages to send in order, each under Telegram's 4,096-character limit, split only
        between lines. Send them without `parse_mode`.
    """
    bonus_claims = [claim for claim in claims if claim.direction == ClaimDirection.BONUS]
    deduction_claims = [claim for claim in claims if claim.direction == ClaimDirection.DEDUCTION]
    sections = [
        _header(rubric, result, category, evidence_counts),
        _provisional(rubric, result),
        _needed(rubric, result),
        _gates(rubric, result),
        _areas(rubric, result),
        _bonus(rubric, result, bonus_claims),
        _deductions(rubric, result, deduction_claims),
        _missing(rubric, result, evidence_counts),
        _next_level(rubric, result),
    ]
    lines: list[str] = []
    for section in sections:
        if section:
            lines.extend([*section, ""])
    parts = split_message(lines, MESSAGE_LIMIT - _CONTINUED_RESERVE)
    if len(parts) == 1:
        return parts
    return [
        f"{part}\n\n{text('summary.continued', part=number, parts=len(parts))}"
        for number, part in enumerate(parts, start=1)
    ]
