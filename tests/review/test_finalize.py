"""Finalising against hand-worked cases: the quota, a tie across the cut-off, gates, exceptions.

Every branch answers every item in full (basic 100), so total = 70 + 0.3 × review: a review
of 100 gives 100.00, 95 gives 98.50, 90 gives 97.00, 80 gives 94.00, 50 gives 85.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring import default_rubric_text
from storage import repositories as repo
from storage.models import AuditEntry, ClaimDirection, DecisionKind, ReviewOutcome
from storage.repositories.review import (
    ReviewError,
    decide_claim,
    record_decision,
    record_deduction,
)
from storage.repositories.town_review import finalize_cycle
from tests.review.seed import NOW, RUBRIC, cycle_of, review_all, seed_town

SEVEN = ("甲", "乙", "丙", "丁", "戊", "己", "庚")


def _levels(outcome: Any) -> dict[str, tuple[int | None, tuple[str, ...]]]:
    return {row.review.branch.name: (row.reviewed_stars, row.reasons) for row in outcome.rows}


async def test_thirty_percent_of_seven_keeps_two_five_star_branches(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, SEVEN)
        review_all(
            session,
            seeded,
            {"甲": "100", "乙": "95", "丙": "90", "丁": "90", "戊": "80", "己": "50"},
        )
        return finalize_cycle(session, cycle_of(session, seeded), None, NOW, leave_out=["庚"])

    outcome = await database.run(work)
    assert (outcome.in_scope, outcome.limits, outcome.problems) == (7, {5: 2}, [])
    # Ranked by total; equal totals keep the town's branch order (丁 sorts before 丙).
    assert [row.review.branch.name for row in outcome.rows] == [
        "甲",
        "乙",
        "丁",
        "丙",
        "戊",
        "己",
        "庚",
    ]
    assert _levels(outcome) == {
        "甲": (5, ()),
        "乙": (5, ()),
        "丙": (4, ("over_quota",)),
        "丁": (4, ("over_quota",)),
        "戊": (4, ("over_quota",)),
        "己": (4, ()),
        "庚": (None, ()),
    }


async def test_a_tie_across_the_cut_off_keeps_both_at_four_until_the_committee_decides(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, SEVEN)
        review_all(
            session,
            seeded,
            {"甲": "100", "乙": "90", "丙": "90", "丁": "80", "戊": "50", "己": "50", "庚": "50"},
        )
        cycle = cycle_of(session, seeded)
        undecided = finalize_cycle(session, cycle, None, NOW)
        record_decision(
            session,
            cycle.id,
            DecisionKind.TIE,
            "乙支部群众评议领先",
            seeded.reviewer_id,
            NOW,
            assessment_id=seeded.assessments["乙"],
            stars=5,
            reference="党委会议纪要2027-1",
        )
        decided = finalize_cycle(session, cycle, None, NOW)
        record_decision(
            session,
            cycle.id,
            DecisionKind.TIE,
            "丙也保留",
            seeded.reviewer_id,
            NOW,
            assessment_id=seeded.assessments["丙"],
            stars=5,
        )
        too_many = finalize_cycle(session, cycle, None, NOW)
        return undecided, decided, too_many

    undecided, decided, too_many = await database.run(work)
    assert {name: level for name, level in _levels(undecided).items() if name in "甲乙丙丁"} == {
        "甲": (5, ()),
        "乙": (4, ("tie_at_cutoff",)),
        "丙": (4, ("tie_at_cutoff",)),
        "丁": (4, ("over_quota",)),
    }
    assert [row.tie_at_cutoff for row in undecided.rows[:4]] == [False, True, True, False]
    assert _levels(decided)["乙"] == (5, ("tie_decided",))
    assert _levels(decided)["丙"] == (4, ("tie_at_cutoff",))
    assert too_many.problems == [
        "the committee kept 2 tied branches at 5 stars but 1 places are left: decide again"
    ]
    assert (_levels(too_many)["乙"], _levels(too_many)["丙"]) == (
        (4, ("tie_at_cutoff",)),
        (4, ("tie_at_cutoff",)),
    )


async def test_a_deduction_gates_five_stars_unless_the_committee_records_an_exception(
    database,
) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, ("甲", "乙", "丙", "丁"))
        assessment_id = seeded.assessments["甲"]
        # DOMAIN.md: basic 100, bonus 20, deduction 20, review 100 → 100.00 but four stars.
        claim = repo.add_claim(
            session,
            assessment_id,
            ClaimDirection.BONUS,
            "commendation",
            Decimal(20),
            "省级表彰",
            None,
            NOW,
        )
        decide_claim(session, claim.id, RUBRIC, Decimal(20), seeded.reviewer_id, NOW)
        record_deduction(
            session,
            assessment_id,
            RUBRIC,
            "major_incident",
            Decimal(20),
            "安全事故",
            seeded.reviewer_id,
            NOW,
        )
        review_all(session, seeded, {"甲": "100", "乙": "50", "丙": "50", "丁": "50"})
        cycle = cycle_of(session, seeded)
        gated = finalize_cycle(session, cycle, None, NOW)
        record_decision(
            session,
            cycle.id,
            DecisionKind.GATE_EXCEPTION,
            "事故系外部原因, 经党委研究保留",
            seeded.reviewer_id,
            NOW,
            assessment_id=assessment_id,
            stars=5,
        )
        excepted = finalize_cycle(session, cycle, None, NOW)
        return gated, excepted

    gated, excepted = await database.run(work)
    assert gated.rows[0].review.reviewed.total == Decimal("100.00")
    assert _levels(gated)["甲"] == (4, ("has_deduction",))
    # 30% of 4 is 1 place: the exception's branch takes it.
    assert _levels(excepted)["甲"] == (5, ("has_deduction", "gate_exception"))


async def test_a_county_approved_quota_keeps_more_five_star_branches(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, ("甲", "乙", "丙"))
        review_all(session, seeded, {"甲": "100", "乙": "95", "丙": "90"})
        cycle = cycle_of(session, seeded)
        with pytest.raises(ReviewError) as raised:
            record_decision(
                session,
                cycle.id,
                DecisionKind.QUOTA_OVERRIDE,
                "县委组织部批复",
                None,
                NOW,
                share=Decimal("0.7"),
            )
        record_decision(
            session,
            cycle.id,
            DecisionKind.QUOTA_OVERRIDE,
            "县委组织部批复",
            None,
            NOW,
            share=Decimal("0.7"),
            reference="城组通〔2027〕3号",
        )
        return str(raised.value), finalize_cycle(session, cycle, None, NOW)

    message, outcome = await database.run(work)
    assert message == "a quota override needs the county's reference"
    assert outcome.limits == {5: 2}
    assert [level for level, _ in _levels(outcome).values()] == [5, 5, 4]


async def test_finalising_refuses_while_a_branch_is_not_reviewed_and_not_named(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, ("甲", "乙", "丙"))
        review_all(session, seeded, {"甲": "100"})
        cycle = cycle_of(session, seeded)
        messages = []
        for leave_out in ([], ["乙"], ["乙", "丙", "无此支部"]):
            with pytest.raises(ReviewError) as raised:
                finalize_cycle(session, cycle, None, NOW, leave_out=leave_out)
            messages.append(str(raised.value))
        return messages

    assert await database.run(work) == [
        "not reviewed yet: 丙, 乙; review them or leave them out by name",
        "not reviewed yet: 丙; review them or leave them out by name",
        "no branch 无此支部 in this town",
    ]


async def test_finalising_again_updates_the_outcomes_and_audits_every_run(database) -> None:
    def work(session: Session) -> Any:
        seeded = seed_town(session, ("甲", "乙"))
        review_all(session, seeded, {"甲": "100", "乙": "100"})
        cycle = cycle_of(session, seeded)
        finalize_cycle(session, cycle, seeded.reviewer_id, NOW)
        dry = finalize_cycle(session, cycle, seeded.reviewer_id, NOW, write=False)
        finalize_cycle(session, cycle, seeded.reviewer_id, NOW)
        outcomes = session.scalars(select(ReviewOutcome).order_by(ReviewOutcome.id)).all()
        runs = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "review.finalize")
        ).all()
        return (
            [(o.reviewed_stars, o.reasons, o.tie_at_cutoff) for o in outcomes],
            [(run.old, run.new["limits"]) for run in runs],
            len(dry.rows),
        )

    outcomes, runs, dry_rows = await database.run(work)
    # 30% of 2 is 0 places: no cut-off to tie across, both drop.
    assert outcomes == [(4, "over_quota", False), (4, "over_quota", False)]
    assert runs == [
        (None, {"5": 0}),
        ({"reviewed_stars": {"甲": 4, "乙": 4}}, {"5": 0}),
    ]
    assert dry_rows == 2


async def test_a_tie_decision_may_not_pass_a_category_s_share(database) -> None:
    # Every branch is rural; rural branches may hold at most 30% of their five-star places
    # (2 of 7) though the share of all branches would allow every one.
    shares = default_rubric_text().replace(
        "quota:\n  5: 0.3\n", "quota:\n  5: {share: 1, categories: {rural: 0.3}}\n"
    )

    def work(session: Session) -> Any:
        seeded = seed_town(session, SEVEN, rubric_text=shares)
        review_all(
            session,
            seeded,
            {"甲": "100", "乙": "90", "丙": "90", "丁": "80", "戊": "50", "己": "50", "庚": "50"},
        )
        cycle = cycle_of(session, seeded)
        for name in ("乙", "丙"):
            record_decision(
                session,
                cycle.id,
                DecisionKind.TIE,
                "两个支部都保留",
                seeded.reviewer_id,
                NOW,
                assessment_id=seeded.assessments[name],
                stars=5,
            )
        return finalize_cycle(session, cycle, None, NOW)

    outcome = await database.run(work)
    assert outcome.problems == [
        "the committee kept 2 tied rural branches at 5 stars but 1 places of that category are "
        "left: decide again"
    ]
    assert {name: _levels(outcome)[name] for name in "甲乙丙"} == {
        "甲": (5, ()),
        "乙": (4, ("tie_at_cutoff",)),
        "丙": (4, ("tie_at_cutoff",)),
    }
