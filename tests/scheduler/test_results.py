"""Named results: owed once per named branch, what the message says, where points were lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from handlers.results import render_result
from scoring import default_rubric, default_rubric_text
from storage.models import (
    AnswerSource,
    Assessment,
    AssessmentState,
    Branch,
    DeliveryKind,
    ReviewScore,
    Town,
)
from storage.org_import import check_org_rows, last_year_stars_of
from storage.repositories import get_or_create_assessment, open_cycle, set_answer
from storage.repositories.reminders import plan_deliveries
from storage.repositories.results import name_assessment
from tests.handlers.conftest import NOW
from tests.scheduler.deadline_town import SCHEDULE, WEST, Town2026

NAMED_AT = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
RURAL_ITEMS = [item.id for item in default_rubric().items_for("rural")]


async def name_west(
    town: Town2026, stars: int = 5, review: str = "90", partial: tuple[str, ...] = ()
) -> bool:
    """Answers every item of 西村党支部 (full, or partial as listed), enters the review score
    and names it with `stars`."""
    west = await town.assessment(WEST)
    assert west is not None

    def name(session: Session) -> bool:
        for item_id in RURAL_ITEMS:
            level = "partial" if item_id in partial else "full"
            set_answer(session, west.id, item_id, level, AnswerSource.SELF, None, NOW)
        session.add(ReviewScore(assessment_id=west.id, score=Decimal(review), entered_at=NOW))
        session.flush()
        assessment = session.get_one(Assessment, west.id)
        return name_assessment(session, assessment, stars, NAMED_AT)

    return await town.run(name)


async def result_text(town: Town2026) -> str:
    (row,) = await town.deliveries(kind=DeliveryKind.RESULT)
    message = await town.render(render_result, row.id, NAMED_AT)
    assert message is not None
    return message.text


async def test_a_named_branch_owes_its_secretary_the_result_once(town: Town2026) -> None:
    first = await name_west(town)
    report = await town.run(lambda session: plan_deliveries(session, SCHEDULE, NAMED_AT))

    rows = await town.deliveries(kind=DeliveryKind.RESULT)
    west = await town.assessment(WEST)
    assert west is not None
    assert (first, report.results) == (True, 0)
    assert [(row.recipient_telegram_id, row.due_at, row.payload) for row in rows] == [
        (
            1002,
            NAMED_AT,
            {
                "town_id": town.harness.seed.town_id,
                "cycle_id": town.cycle_id,
                "branch_id": town.branch_id(WEST),
                "assessment_id": west.id,
            },
        )
    ]
    assert (west.state, west.final_stars, west.final_total) == (
        AssessmentState.NAMED,
        5,
        Decimal("97.00"),
    )


async def test_the_result_gives_the_level_the_total_its_parts_and_what_follows(
    town: Town2026,
) -> None:
    branch_id = town.branch_id(WEST)

    def last_year_in_the_list(session: Session) -> None:
        session.get_one(Branch, branch_id).last_year_stars = 4

    await town.run(last_year_in_the_list)
    await name_west(town)

    assert (await result_text(town)).splitlines() == [
        "🏅 西村党支部 2026 年度评星定级结果：五星级",
        "总分 97 分：基础项 100 分，加分 0 分，减分 0 分，评议得分 90 分",
        "（基础项 + 加分 − 减分 按 70% 计入，评议得分按 30% 计入）",
        "五星级：提升标杆、争创样板。",
        "上年星级：四星级",
    ]


@pytest.mark.parametrize(
    ("stars", "follow"),
    [
        (4, "四星级：查缺补漏、巩固提升。"),
        (3, "三星级：查缺补漏、巩固提升。"),
        (2, "二星级及以下：纳入软弱涣散党组织整顿范围。"),
        (1, "二星级及以下：纳入软弱涣散党组织整顿范围。"),
    ],
)
async def test_what_follows_is_said_in_the_seeds_words(
    town: Town2026, stars: int, follow: str
) -> None:
    await name_west(town, stars=stars)

    assert (await result_text(town)).splitlines()[3] == follow


async def test_last_years_level_comes_from_last_years_named_cycle_when_there_is_one(
    town: Town2026,
) -> None:
    town_id, branch_id = town.harness.seed.town_id, town.branch_id(WEST)

    def last_year(session: Session) -> None:
        session.get_one(Branch, branch_id).last_year_stars = 4
        town_row = session.get_one(Town, town_id)
        cycle = open_cycle(
            session, town_row, 2025, NOW - timedelta(days=365), default_rubric_text(), now=NOW
        )
        assessment = get_or_create_assessment(session, branch_id, cycle.id, NOW)
        assessment.state = AssessmentState.NAMED
        assessment.final_stars = 3

    await town.run(last_year)
    await name_west(town)

    assert (await result_text(town)).splitlines()[-1] == "上年星级：三星级"


async def test_a_result_no_longer_named_is_not_sent(town: Town2026) -> None:
    await name_west(town)
    west = await town.assessment(WEST)
    assert west is not None

    def unname(session: Session) -> None:
        session.get_one(Assessment, west.id).state = AssessmentState.RECOMMENDED

    await town.run(unname)
    (row,) = await town.deliveries(kind=DeliveryKind.RESULT)

    assert await town.render(render_result, row.id, NAMED_AT) is None


async def test_a_result_is_not_sent_to_a_secretary_no_longer_bound_to_the_branch(
    town: Town2026,
) -> None:
    from storage.models import Person, Role
    from storage.repositories.roles import revoke_role

    await name_west(town)
    (row,) = await town.deliveries(kind=DeliveryKind.RESULT)

    def unbind(session: Session) -> None:
        secretary = session.query(Person).filter_by(telegram_id=1002).one()
        revoke_role(session, secretary, Role.SECRETARY, town.branch_id(WEST), NOW)

    await town.run(unbind)

    assert await town.render(render_result, row.id, NAMED_AT) is None


async def test_the_result_button_lists_item_by_item_where_points_were_lost(
    town: Town2026,
) -> None:
    await name_west(town, partial=("team.study", "members.quantified_points"))
    (row,) = await town.deliveries(kind=DeliveryKind.RESULT)
    message = await town.render(render_result, row.id, NAMED_AT)
    assert message is not None
    user = town.users[WEST]
    await town.send(user.id, message)

    await town.harness.press(user, "查看失分明细", town.harness.last(user))

    lines = (town.harness.last(user).text or "").splitlines()
    assert lines[0] == "📉 西村党支部 2026 年度失分明细（共失 3.5 分）："
    assert [line.split("：")[-1] for line in lines[1:]] == ["失 2 分", "失 1.5 分"]


async def test_another_secretary_cannot_open_the_lost_points_of_a_branch(town: Town2026) -> None:
    await name_west(town)
    (row,) = await town.deliveries(kind=DeliveryKind.RESULT)
    message = await town.render(render_result, row.id, NAMED_AT)
    assert message is not None
    await town.send(1002, message)
    data = message.keyboard.inline_keyboard[0][0].callback_data
    intruder = town.users["东村党支部"]

    await town.harness.press_data(intruder, data, town.harness.last(town.users[WEST]))

    assert town.harness.answers()[-1]["text"] == "这个操作无法执行。"


@pytest.mark.parametrize(
    ("written", "expected"),
    [("五星级", 5), ("四星", 4), ("3", 3), ("2星级", 2), ("", None), ("优秀", None)],
)
def test_last_years_level_is_read_in_the_forms_a_list_uses(
    written: str, expected: int | None
) -> None:
    assert last_year_stars_of(written) == expected


def test_the_organisation_list_carries_last_years_level_and_names_a_bad_one() -> None:
    base = {"county": "城关县", "town": "温店镇", "category": "农村"}
    rows, problems = check_org_rows(
        [
            {**base, "row": 2, "branch": "东村党支部", "last_year_stars": "四星级"},
            {**base, "row": 3, "branch": "西村党支部"},
            {**base, "row": 4, "branch": "南村党支部", "last_year_stars": "优秀"},
        ]
    )

    assert [(row.branch, row.last_year_stars) for row in rows] == [
        ("东村党支部", 4),
        ("西村党支部", None),
    ]
    assert [str(problem) for problem in problems] == ["row 4: unknown last year's level '优秀'"]
