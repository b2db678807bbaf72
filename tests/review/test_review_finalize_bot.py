"""Finalising in the bot: the ranking, a tie the committee decides, a stale confirmation."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.offline import FakeUser
from handlers.callbacks import decode
from handlers.catalogue import text
from storage import repositories as repo
from storage.models import AnswerSource, AuditEntry, ReviewOutcome, Town
from storage.repositories.review import enter_review_score, mark_reviewed
from tests.handlers.conftest import Harness
from tests.review.conftest import OFFICER, OTHER_OFFICER, RUBRIC, reviewing

# With 东村 and 西村 (submitted by `reviewing`), 镇机关 (not started) and these four, the town
# has 7 branches: 30% is 2 five-star places. Totals: 东村 100.00, 甲 and 西村 97.00 (tied at
# the cut-off), 乙 94.00, 丙 and 丁 85.00.
REVIEWS = {
    "东村党支部": 100,
    "西村党支部": 90,
    "甲党支部": 90,
    "乙党支部": 80,
    "丙党支部": 50,
    "丁党支部": 50,
}


async def seven_branches(bot: Harness, secretary: FakeUser) -> None:
    ids = await reviewing(bot, secretary)

    def work(session: Session) -> None:
        town = session.get(Town, bot.seed.town_id)
        assert town is not None
        for name in ("甲党支部", "乙党支部", "丙党支部", "丁党支部"):
            branch, _ = repo.upsert_branch(session, town, name, "rural")
            assessment = repo.get_or_create_assessment(
                session, branch.id, bot.seed.cycle_id, bot.now
            )
            for item in RUBRIC.items_for("rural"):
                repo.set_answer(
                    session, assessment.id, item.id, "full", AnswerSource.SELF, None, bot.now
                )
            repo.submit_assessment(session, assessment.id, 5, None, bot.now)
            ids[name] = assessment.id
        for name, score in REVIEWS.items():
            enter_review_score(session, ids[name], RUBRIC, None, bot.now, score=Decimal(score))
            mark_reviewed(session, ids[name], None, bot.now)

    await bot.database.run(work)


async def open_ranking(bot: Harness) -> None:
    await bot.send(OFFICER, "/review")
    await bot.press(OFFICER, text("review.button.ranking"))


async def outcomes(bot: Harness) -> int:
    return await bot.database.run(
        lambda s: s.scalar(select(func.count()).select_from(ReviewOutcome))
    )


async def test_the_ranking_flags_the_tie_and_names_the_branches_left_out(
    bot: Harness, secretary: FakeUser
) -> None:
    await seven_branches(bot, secretary)
    await open_ranking(bot)
    ranking = (bot.card(OFFICER).text or "").splitlines()
    assert ranking[1] == "参评 7 个党支部，五星级名额 2 个"
    assert ranking[2:8] == [
        "1. 东村党支部 100.00 五星级",
        "2. 甲党支部 97.00 五星级→四星级（并列，待党委研究）",
        "3. 西村党支部 97.00 五星级→四星级（并列，待党委研究）",
        "4. 乙党支部 94.00 五星级→四星级（超出五星级比例）",
        "5. 丁党支部 85.00 四星级",
        "6. 丙党支部 85.00 四星级",
    ]
    assert ranking[8] == text("review.left_out", branches="镇机关党支部")
    assert await outcomes(bot) == 0


async def test_a_decided_tie_keeps_its_branch_and_an_old_confirmation_is_stale(
    bot: Harness, secretary: FakeUser
) -> None:
    await seven_branches(bot, secretary)
    await open_ranking(bot)
    old_ranking = bot.card(OFFICER)
    await bot.send(OFFICER, "/decide 2 群众评议领先，党委会议研究保留")
    decided = bot.card(OFFICER)
    await bot.press(OFFICER, text("review.button.finalize"), old_ranking)
    stale = bot.answers()[-1].get("text")
    stale_outcomes = await outcomes(bot)
    await bot.press(OFFICER, text("review.button.finalize"), decided)

    stored = await bot.database.run(
        lambda s: sorted(
            (o.reviewed_stars, o.reasons or "") for o in s.scalars(select(ReviewOutcome))
        )
    )
    runs = await bot.database.run(
        lambda s: s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "review.finalize")
        )
    )
    assert "2. 甲党支部 97.00 五星级（并列，经党委研究保留）" in (decided.text or "")
    assert (stale, stale_outcomes) == (text("common.stale_button"), 0)
    assert bot.answers()[-1].get("text") == text("review.finalized")
    assert stored == [
        (4, ""),
        (4, ""),
        (4, "over_quota"),
        (4, "tie_at_cutoff"),
        (5, ""),
        (5, "tie_decided"),
    ]
    assert runs == 1


async def test_an_exception_for_a_branch_no_gate_blocks_is_not_recorded(
    bot: Harness, secretary: FakeUser
) -> None:
    await seven_branches(bot, secretary)
    await open_ranking(bot)
    await bot.send(OFFICER, "/except 1 理由")
    await bot.send(OFFICER, "/decide 九 理由")
    messages = [m.text for m in bot.api.chat_messages(OFFICER.id)][-2:]
    assert messages == [text("review.decide_not_applicable"), text("review.decide_usage")]


async def test_finalising_is_refused_to_a_secretary_and_another_towns_officer(
    bot: Harness, secretary: FakeUser
) -> None:
    await seven_branches(bot, secretary)
    await open_ranking(bot)
    confirm = bot.card(OFFICER).callback_data(text("review.button.finalize"))
    for user in (secretary, OTHER_OFFICER):
        await bot.send(user, "/start")
        await bot.press_data(user, confirm, bot.last(user))
        assert bot.answers()[-1].get("text") == text("common.refused")
    await bot.send(secretary, "/decide 2 理由")
    assert bot.last(secretary).text == text("review.not_reviewer")
    assert await outcomes(bot) == 0
    assert decode(confirm).assessment_id == bot.seed.town_id
