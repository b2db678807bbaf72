"""/county in the bot: only a county's own officers see and decide its recommendations.

The seeded town 城关镇 (示范县) has three branches answering every item in full: 东村 reviewed
at 100 (total 100.00), 西村 at 95 (98.50), 镇机关 at 50 (85.00). The county approved a share of
0.4 (one place of three), so after publicity 东村 is the one five-star recommendation.
"""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.offline import FakeUser
from handlers.catalogue import text
from scoring import default_rubric
from storage import repositories as repo
from storage.models import (
    AnswerSource,
    Assessment,
    AuditEntry,
    Branch,
    CountyDecision,
    CountyOpinion,
    Cycle,
    DecisionKind,
    Delivery,
    DeliveryKind,
    Role,
    Town,
)
from storage.repositories.publicity import close_publicity, open_publicity
from storage.repositories.review import enter_review_score, mark_reviewed, record_decision
from storage.repositories.town_review import finalize_cycle
from storage.working_days import publicity_end
from tests.handlers.conftest import Harness

COUNTY_OFFICER = FakeUser(6001, "周部长")
OTHER_COUNTY_OFFICER = FakeUser(6002, "吴部长")
TOWN_OFFICER = FakeUser(5001, "王委员")
REVIEWS = {"东村党支部": "100", "西村党支部": "95", "镇机关党支部": "50"}
RUBRIC = default_rubric()


def recommend(bot: Harness, *, publicize: bool = True, close: bool = True) -> Any:
    """Reviews and finalises the town, then publicises it and closes the publicity unless told
    not to."""

    def work(session: Session) -> int:
        now = bot.now
        cycle = session.get_one(Cycle, bot.seed.cycle_id)
        town = session.get_one(Town, cycle.town_id)
        for name, score in REVIEWS.items():
            branch = session.get_one(Branch, bot.seed.branches[name])
            assessment = repo.get_or_create_assessment(session, branch.id, cycle.id, now)
            for item in RUBRIC.items_for(branch.category):
                repo.set_answer(
                    session, assessment.id, item.id, "full", AnswerSource.SELF, None, now
                )
            repo.submit_assessment(session, assessment.id, 5, None, now)
            enter_review_score(session, assessment.id, RUBRIC, None, now, score=Decimal(score))
            mark_reviewed(session, assessment.id, None, now)
        record_decision(
            session,
            cycle.id,
            DecisionKind.QUOTA_OVERRIDE,
            "先进典型多",
            None,
            now,
            share=Decimal("0.4"),
            reference="示组字〔2026〕9号",
        )
        finalize_cycle(session, cycle, None, now)
        grants = (
            (COUNTY_OFFICER, Role.COUNTY, town.county_id),
            (OTHER_COUNTY_OFFICER, Role.COUNTY, repo.get_or_create_county(session, "河西县").id),
            (TOWN_OFFICER, Role.TOWN, town.id),
        )
        for user, role, org_id in grants:
            person = repo.get_or_create_person(session, user.id, user.first_name)
            repo.grant_role(session, person, role, org_id, now)
        if not publicize:
            return 0
        period = publicity_end(date(2026, 11, 16), 5)
        publicity = open_publicity(session, cycle, period, UTC, "党建办", None, now)
        # The period is over: it ended before the clock the tests run at.
        assert publicity.ends_at <= now
        if close:
            close_publicity(session, publicity, now)
        east = repo.get_assessment(session, bot.seed.branches["东村党支部"], cycle.id)
        assert east is not None
        return east.id

    return work


async def county_snapshot(bot: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a county action could change, sorted."""
    tables = {
        "assessment": select(Assessment.id, Assessment.state, Assessment.version),
        "decision": select(CountyDecision.assessment_id, CountyDecision.verdict),
        "opinion": select(CountyOpinion.assessment_id, CountyOpinion.department),
        "audit": select(func.count()).select_from(AuditEntry),
        "delivery": select(Delivery.kind, Delivery.due_key),
    }
    return await bot.database.run(
        lambda session: {
            name: sorted(tuple(row) for row in session.execute(query).all())
            for name, query in tables.items()
        }
    )


def _toast(bot: Harness) -> str | None:
    return bot.answers()[-1].get("text")


def _said(bot: Harness, user: FakeUser) -> str:
    return bot.api.chat_messages(user.id)[-1].text or ""


async def open_east(bot: Harness) -> None:
    await bot.send(COUNTY_OFFICER, "/county")
    label = next(b.text for b in bot.card(COUNTY_OFFICER).buttons if "东村党支部" in b.text)
    await bot.press(COUNTY_OFFICER, label)


async def test_the_county_lists_its_recommendation_and_approves_it_after_the_opinion(
    bot: Harness,
) -> None:
    assessment_id = await bot.database.run(recommend(bot))

    await bot.send(COUNTY_OFFICER, "/county")
    home = bot.card(COUNTY_OFFICER).text or ""
    assert "示范县 2026 年度评星定级 · 县级复核" in home
    assert "五星级推荐 1 个：待复核 1，同意 0，不同意 0" in home
    await open_east(bot)
    page = bot.card(COUNTY_OFFICER).text or ""
    assert "城关镇 · 东村党支部（农村党支部）" in page
    assert "总分 100.00，镇党委考评等次：五星级" in page

    await bot.send(COUNTY_OFFICER, "/approve 复核属实")
    assert _said(bot, COUNTY_OFFICER) == text("county.needs_discipline_opinion")
    await bot.send(COUNTY_OFFICER, "/opinion discipline 无违纪违法问题")
    await bot.send(COUNTY_OFFICER, "/approve 复核属实")

    assert text("county.approved", branch="东村党支部") in [
        m.text for m in bot.api.chat_messages(COUNTY_OFFICER.id)
    ]
    state = await bot.database.run(lambda s: s.get_one(Assessment, assessment_id).state)
    assert state == "county_approved"
    owed = await bot.database.run(
        lambda s: [
            (d.kind, d.recipient_telegram_id, d.payload["verdict"])
            for d in s.scalars(select(Delivery).where(Delivery.payload.is_not(None))).all()
            if d.payload.get("event") == "county_decided"
        ]
    )
    assert owed == [(DeliveryKind.PROCEDURE_EVENT, TOWN_OFFICER.id, "approved")]


async def test_a_rejection_makes_the_branch_four_stars(bot: Harness) -> None:
    assessment_id = await bot.database.run(recommend(bot))
    await open_east(bot)

    await bot.send(COUNTY_OFFICER, "/reject 台账不全")

    decided = await bot.database.run(
        lambda s: s.scalar(
            select(CountyDecision.stars).where(CountyDecision.assessment_id == assessment_id)
        )
    )
    assert decided == 4
    assert text("county.rejected", branch="东村党支部") in [
        m.text for m in bot.api.chat_messages(COUNTY_OFFICER.id)
    ]


@pytest.mark.parametrize("who", ["town", "other_county"])
async def test_county_commands_are_refused_to_a_town_officer_and_another_county(
    bot: Harness, who: str
) -> None:
    await bot.database.run(recommend(bot))
    user = TOWN_OFFICER if who == "town" else OTHER_COUNTY_OFFICER
    before = await county_snapshot(bot)

    await bot.send(user, "/county")
    await bot.send(user, "/opinion discipline 无问题")
    await bot.send(user, "/approve 同意")

    replies = [m.text for m in bot.api.chat_messages(user.id)]
    if who == "town":
        assert replies == [text("county.not_county")] * 3
    else:
        assert replies[1:] == [text("county.no_focus")] * 2
    assert await county_snapshot(bot) == before


_FORGED = ["kb:{assessment}:0", "kh:{county}:0", "kb:{assessment}:1", "kh:999:0", "kb:9:0"]
# The county's own officer may press its own two buttons; every other pairing is a forgery.
_FORGERIES = [
    *((who, forge) for who in ("town", "other_county") for forge in _FORGED),
    *(("county", forge) for forge in _FORGED[2:]),
]


@pytest.mark.parametrize(("who", "forge"), _FORGERIES)
async def test_forged_county_presses_are_refused_and_change_nothing(
    bot: Harness, who: str, forge: str
) -> None:
    assessment_id = await bot.database.run(recommend(bot))
    county_id = await bot.database.run(lambda s: s.get_one(Town, bot.seed.town_id).county_id)
    user = {"town": TOWN_OFFICER, "other_county": OTHER_COUNTY_OFFICER}.get(who, COUNTY_OFFICER)
    await bot.send(user, "/start")
    before = await county_snapshot(bot)

    await bot.press_data(
        user, forge.format(assessment=assessment_id, county=county_id), bot.last(user)
    )

    assert _toast(bot) == text("common.refused")
    assert await county_snapshot(bot) == before


async def test_a_revoked_county_officer_is_refused_at_the_next_command(bot: Harness) -> None:
    await bot.database.run(recommend(bot))
    await open_east(bot)

    def revoke(session: Session) -> None:
        person = repo.find_person(session, COUNTY_OFFICER.id)
        assert person is not None
        county_id = session.get_one(Town, bot.seed.town_id).county_id
        repo.revoke_role(session, person, Role.COUNTY, county_id, bot.now)

    await bot.database.run(revoke)
    before = await county_snapshot(bot)
    await bot.send(COUNTY_OFFICER, "/reject 台账不全")
    assert _said(bot, COUNTY_OFFICER) == text("county.not_county")
    assert await county_snapshot(bot) == before
