"""The 小结 text: figures from the scorer, sentences from the catalogue, parts under the limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.catalogue import text
from handlers.summary import (
    MESSAGE_LIMIT,
    format_points,
    format_review,
    render_summary,
    split_message,
)
from scoring import BranchInput, Claim, default_rubric, score_branch
from storage.models import Claim as ClaimRow
from tests.scoring.builders import variant

RUBRIC = default_rubric()
RURAL_ITEMS = RUBRIC.items_for("rural")


def declared_claim(
    direction: str, kind: str, points_claimed: Decimal, reason: str | None = None
) -> ClaimRow:
    """A declared claim as the handler reads it from storage, not yet decided."""
    return ClaimRow(
        direction=direction,
        kind=kind,
        points_claimed=points_claimed,
        reason=reason,
        status="claimed",
        points_awarded=None,
    )


def summarize(
    answers: dict[str, str],
    *,
    bonus: tuple[Claim, ...] = (),
    deductions: tuple[Claim, ...] = (),
    claims: tuple[ClaimRow, ...] = (),
    evidence: dict[str, int] | None = None,
) -> str:
    """Scores a rural branch and returns its whole summary as one text."""
    result = score_branch(RUBRIC, BranchInput("rural", answers, bonus, deductions))
    parts = render_summary(
        RUBRIC, result, category="rural", evidence_counts=evidence or {}, claims=claims
    )
    return "\n".join(parts)


def all_answered(level: str) -> dict[str, str]:
    return {item.id: level for item in RURAL_ITEMS}


def section(summary: str, heading_key: str) -> list[str]:
    """Returns the lines under a heading, up to the next blank line."""
    lines = summary.splitlines()
    start = lines.index(text(heading_key)) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


@pytest.mark.parametrize(
    ("answers", "expected_star_line"),
    [
        (all_answered("full"), text("summary.provisional_line", level="五星级", total="100.00")),
        (all_answered("partial"), text("summary.provisional_line", level="一星级", total="50.00")),
        ({}, text("summary.provisional_line", level="一星级", total="0.00")),
    ],
)
def test_the_provisional_star_is_stated_with_its_total(
    answers: dict[str, str], expected_star_line: str
) -> None:
    summary = summarize(answers)

    assert section(summary, "summary.provisional_heading")[0] == expected_star_line


def test_the_provisional_star_states_that_the_review_is_assumed_equal_to_basic_100() -> None:
    summary = summarize(all_answered("partial"))

    expected = text("summary.provisional_assumption", assumed_review="50")
    assert section(summary, "summary.provisional_heading")[1] == expected


def test_every_level_gets_the_review_score_it_needs_or_reached_or_out_of_reach() -> None:
    # basic 88 (the first four items, 12 points, answered none): 0.7 × 88 = 61.6.
    answers = all_answered("full")
    answers.update({item.id: "none" for item in RURAL_ITEMS[:4]})

    actual = section(summarize(answers), "summary.needed_heading")

    assert actual == [
        text("summary.needed_line", level="五星级", minimum="90", needed="94.65"),
        text("summary.needed_line", level="四星级", minimum="80", needed="61.32"),
        text("summary.needed_line", level="三星级", minimum="70", needed="27.99"),
        text("summary.needed_reached", level="二星级", minimum="60"),
        text("summary.needed_bottom", level="一星级"),
    ]


@pytest.mark.parametrize(
    ("answers", "bonus", "line_number", "expected_line"),
    [
        # 0.7 × (100 + 20) = 84 reaches four stars whatever the review.
        (
            all_answered("full"),
            (Claim("commendation", Decimal(20)),),
            1,
            text("summary.needed_reached", level="四星级", minimum="80"),
        ),
        (
            all_answered("full"),
            (),
            0,
            text("summary.needed_line", level="五星级", minimum="90", needed="66.65"),
        ),
        (
            all_answered("partial"),
            (),
            0,
            text("summary.needed_gated", level="五星级", minimum="90"),
        ),
    ],
)
def test_a_level_reads_reached_whatever_the_review_or_a_number_or_blocked_by_a_gate(
    answers: dict[str, str], bonus: tuple[Claim, ...], line_number: int, expected_line: str
) -> None:
    summary = summarize(answers, bonus=bonus)

    assert section(summary, "summary.needed_heading")[line_number] == expected_line


@pytest.mark.parametrize(
    ("answers", "deductions", "expected_gates"),
    [
        (all_answered("partial"), (), [text("summary.gate.labelled", label="基础项得分低于80分")]),
        (
            all_answered("full"),
            (Claim("major_incident", Decimal(20)),),
            [text("summary.gate.labelled", label="出现减分项")],
        ),
    ],
)
def test_gates_that_already_block_five_stars_are_named_by_the_rubric_s_labels(
    answers: dict[str, str], deductions: tuple[Claim, ...], expected_gates: list[str]
) -> None:
    summary = summarize(answers, deductions=deductions)

    lines = summary.splitlines()
    start = lines.index(text("summary.gates_heading", level="五星级")) + 1
    assert lines[start : start + len(expected_gates)] == expected_gates


def test_gates_of_the_older_form_are_worded_with_their_figures() -> None:
    # strict_95 writes `gates: {min_basic_100: 90, deductions_forbid: true}`: no labels.
    rubric = variant("strict_95")
    answers = {"operation.rules": "done", "role.model_organ": "done"}
    deductions = (Claim("other", Decimal(20)),)
    result = score_branch(rubric, BranchInput("institution", answers, (), deductions))

    summary = "\n".join(render_summary(rubric, result, category="institution", evidence_counts={}))

    lines = summary.splitlines()
    start = lines.index(text("summary.gates_heading", level="五星级")) + 1
    assert lines[start : start + 2] == [
        text("summary.gate.basic_below_minimum", basic_100="80", minimum="90"),
        text("summary.gate.has_deduction", deduction="20"),
    ]


def test_no_gate_section_when_no_gate_fails() -> None:
    summary = summarize(all_answered("full"))

    assert text("summary.gates_heading", level="五星级") not in summary


def test_missing_points_list_unanswered_items_first_then_the_largest_loss_first() -> None:
    answers = all_answered("full")
    answers[RURAL_ITEMS[0].id] = "partial"  # team.study: 4 points, loses 2
    answers[RURAL_ITEMS[1].id] = "none"  # team.policy: 3 points, loses 3
    del answers[RURAL_ITEMS[2].id]  # team.structure: 2 points, unanswered
    summary = summarize(answers)

    actual = section(summary, "summary.missing_heading")

    def names(item_index: int) -> dict[str, str]:
        item = RURAL_ITEMS[item_index]
        return {"area": RUBRIC.area(item.area).title, "item": item.text}

    expected = [
        text("summary.missing_unanswered", points="2", **names(2)),
        text("summary.missing_answered", lost="3", **names(1)),
        text("summary.missing_answered", lost="2", **names(0)),
    ]
    assert actual == expected


def test_a_missing_item_shows_how_much_evidence_it_already_has() -> None:
    answers = all_answered("full")
    answers[RURAL_ITEMS[0].id] = "partial"
    summary = summarize(answers, evidence={RURAL_ITEMS[0].id: 2})

    assert section(summary, "summary.missing_heading")[0].endswith(
        text("summary.missing_evidence", count=2)
    )


def test_full_marks_everywhere_has_nothing_missing_and_no_higher_level() -> None:
    summary = summarize(all_answered("full"))

    assert section(summary, "summary.missing_heading") == [text("summary.missing_none")]
    assert section(summary, "summary.next_heading") == [text("summary.next_top")]


def test_the_fewest_items_that_lift_the_star_are_listed_with_their_gain() -> None:
    # The last six items (4 + 4 + 2 + 2 + 2 + 2) answered none: basic 84, four stars; the two
    # largest losses give 92.00.
    answers = all_answered("full")
    answers.update({item.id: "none" for item in RURAL_ITEMS[-6:]})

    actual = section(summarize(answers), "summary.next_heading")

    assert actual == [
        text("summary.next_items", count=2, level="五星级"),
        text(
            "summary.next_item_line",
            area="作用发挥",
            item="在急难险重任务中冲锋在前、攻坚克难",
            gain="4",
        ),
        text(
            "summary.next_item_line",
            area="作用发挥",
            item="践行群众路线，密切联系服务群众",
            gain="4",
        ),
    ]


def test_per_area_scores_and_the_basic_total_are_listed() -> None:
    answers = all_answered("full")
    answers.update({item.id: "none" for item in RURAL_ITEMS[-6:]})

    actual = section(summarize(answers), "summary.areas_heading")

    assert actual == [
        text("summary.area_line", area="班子建设", scored="16", full="16"),
        text("summary.area_line", area="工作运行", scored="12", full="12"),
        text("summary.area_line", area="党员管理", scored="18", full="18"),
        text("summary.area_line", area="组织生活", scored="16", full="16"),
        text("summary.area_line", area="基础保障", scored="14", full="14"),
        text("summary.area_line", area="作用发挥", scored="8", full="24"),
        text("summary.basic_line", basic="84", basic_total="100", basic_100="84"),
    ]


def test_bonus_over_the_cap_is_counted_at_the_cap_and_each_claim_is_listed() -> None:
    claims = (
        declared_claim("bonus", "commendation", Decimal(15), reason="县级先进基层党组织"),
        declared_claim("bonus", "other", Decimal(10)),
    )
    bonus = tuple(Claim(c.kind, c.points_claimed) for c in claims)
    summary = summarize(all_answered("full"), bonus=bonus, claims=claims)

    actual = section(summary, "summary.bonus_heading")

    assert actual[0] == text("summary.bonus_line", bonus="20", cap="20")
    assert actual[1] == text("summary.bonus_capped", claimed="25", cap="20")
    assert len(actual) == 4
    assert actual[2].endswith(text("summary.claim_reason", reason="县级先进基层党组织"))


def test_no_claims_reads_none_declared() -> None:
    summary = summarize(all_answered("full"))

    assert section(summary, "summary.bonus_heading") == [text("summary.bonus_none")]
    assert section(summary, "summary.deductions_heading") == [text("summary.deductions_none")]


def test_a_long_summary_is_split_into_parts_under_the_limit_at_line_boundaries() -> None:
    reason = "经查实，" + "某项工作存在问题并造成不良影响" * 12
    claims = tuple(
        declared_claim("deduction", "other", Decimal(20), reason=f"{number}{reason}")
        for number in range(40)
    )
    deductions = tuple(Claim(c.kind, c.points_claimed) for c in claims)
    result = score_branch(RUBRIC, BranchInput("rural", {}, (), deductions))

    parts = render_summary(RUBRIC, result, category="rural", evidence_counts={}, claims=claims)

    assert len(parts) > 1
    assert all(len(part.encode("utf-16-le")) // 2 < MESSAGE_LIMIT for part in parts)
    numbering = [part.splitlines()[-1] for part in parts]
    assert numbering == [
        text("summary.continued", part=number, parts=len(parts))
        for number in range(1, len(parts) + 1)
    ]
    # Every claim line arrives whole, in order, in exactly one part.
    claim_lines = [line for part in parts for line in part.splitlines() if reason in line]
    assert [line.split(reason)[0][-2:].lstrip("：") for line in claim_lines] == [
        str(number) for number in range(40)
    ]


@pytest.mark.parametrize(
    ("lines", "limit", "expected"),
    [
        (["a", "b", "c"], 100, ["a\nb\nc"]),
        (["aaaa", "bbbb", "cccc"], 10, ["aaaa\nbbbb", "cccc"]),
        (["aaaa", "", "bbbb", "", "cccc"], 10, ["aaaa", "bbbb", "cccc"]),
        (["", "a", ""], 100, ["a"]),
        (["x" * 25], 10, ["xxxxx", "xxxxx", "xxxxx", "xxxxx", "xxxxx"]),
        (["😀😀", "😀😀"], 10, ["😀😀\n😀😀"]),
        (["😀😀😀", "😀"], 8, ["😀😀😀", "😀"]),
    ],
)
def test_split_message_breaks_only_between_lines_and_counts_utf16(
    lines: list[str], limit: int, expected: list[str]
) -> None:
    assert split_message(lines, limit) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), "12.5"),
        (Decimal("1E+1"), "10"),
        (Decimal("100"), "100"),
        (Decimal("0.00"), "0"),
    ],
)
def test_points_show_without_trailing_zeros(value: Decimal, expected: str) -> None:
    assert format_points(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("66.99"), "66.99"), (Decimal("46.6667"), "46.67"), (Decimal("80"), "80")],
)
def test_a_needed_review_is_rounded_up_to_the_cent(value: Decimal, expected: str) -> None:
    assert format_review(value) == expected


def test_a_gate_that_caps_lower_heads_the_section_with_the_lowest_level_it_rules_out() -> None:
    # county_rules: the safety veto allows at most three stars, so four is already ruled out.
    rubric = variant("county_rules")
    answers: dict[str, str | Decimal] = {item.id: "full" for item in rubric.items_for("rural")} | {
        "team.safety": "partial"
    }
    result = score_branch(rubric, BranchInput("rural", answers))

    summary = "\n".join(render_summary(rubric, result, category="rural", evidence_counts={}))

    lines = summary.splitlines()
    start = lines.index(text("summary.gates_heading", level="四星级"))
    assert lines[start + 1 : start + 2] == [
        text("summary.gate.labelled", label="安全生产责任未完全落实(一票否决)")
    ]
