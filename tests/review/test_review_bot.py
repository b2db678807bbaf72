"""/review in the bot: role boundaries, forged presses, each action, restarts and re-deliveries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.offline import FakeBotApi, FakeUser
from handlers.callbacks import decode
from handlers.catalogue import text
from handlers.sweep import SWEEP_JOB_NAME
from storage import repositories as repo
from storage.database import create_database
from storage.models import (
    Answer,
    Assessment,
    AuditEntry,
    Claim,
    ClaimDirection,
    Delivery,
    ReviewFocus,
    ReviewScore,
)
from tests.handlers.conftest import Harness, seed_county, start_harness
from tests.review.conftest import OFFICER, OTHER_OFFICER, assessment_row, reviewing


async def review_snapshot(bot: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a review action could change, sorted."""
    tables = {
        "answer": select(Answer.assessment_id, Answer.item_id, Answer.source, Answer.score),
        "assessment": select(Assessment.id, Assessment.state, Assessment.version),
        "claim": select(Claim.id, Claim.status, Claim.points_awarded),
        "review_score": select(ReviewScore.assessment_id, ReviewScore.score),
        "audit": select(func.count()).select_from(AuditEntry),
        "delivery": select(Delivery.kind, Delivery.due_key),
        "focus": select(ReviewFocus.person_id, ReviewFocus.assessment_id),
    }
    return await bot.database.run(
        lambda session: {
            name: sorted(tuple(row) for row in session.execute(query).all())
            for name, query in tables.items()
        }
    )


def toast(bot: Harness) -> str | None:
    return bot.answers()[-1].get("text")


async def open_branch(bot: Harness, branch: str = "东村党支部") -> None:
    """The officer runs /review, opens the list and the branch's page."""
    await bot.send(OFFICER, "/review")
    await bot.press(OFFICER, text("review.button.branches"))
    label = next(b.text for b in bot.card(OFFICER).buttons if b.text.startswith(branch))
    await bot.press(OFFICER, label)


async def test_the_dashboard_counts_the_towns_branches_by_state(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await bot.send(OFFICER, "/review")
    dashboard = bot.card(OFFICER).text or ""
    assert "城关镇 2026 年度评星定级" in dashboard
    assert "待考评 2，已考评 0，已退回 0" in dashboard
    assert "未开始 1" in dashboard
    assert "未绑定书记 2" in dashboard
    assert "五星级名额：已用 0/0" in dashboard
    assert dashboard.splitlines()[3:5] == [
        "考评等次（按比例测算）：暂无",
        "尚未考评的自评测算：五星级 2",
    ]
    chart = bot.api.calls_to("sendPhoto")[-1]
    assert chart.files["photo"].content.startswith(b"\x89PNG")


@pytest.mark.parametrize("who", ["secretary", "stranger"])
async def test_review_is_refused_to_anyone_without_the_town_role(
    bot: Harness, secretary: FakeUser, who: str
) -> None:
    await reviewing(bot, secretary)
    user = secretary if who == "secretary" else FakeUser(4242, "路人")
    await bot.send(user, "/review")
    assert bot.last(user).text == text("review.not_reviewer")


async def test_a_branch_page_compares_self_and_reviewed_scores_and_lists_claims(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)

    def claim(session: Session) -> None:
        repo.add_claim(
            session,
            ids["东村党支部"],
            ClaimDirection.BONUS,
            "commendation",
            Decimal(10),
            "县级表彰",
            None,
            bot.now,
        )

    await bot.database.run(claim)
    await open_branch(bot)
    page = bot.card(OFFICER).text or ""
    assert page.startswith("东村党支部（农村党支部）\n状态：待考评；申报等次：五星级")
    assert "基础项：自评 100 / 考评 100" in page
    assert "1. 加分·党支部或所属党员受到县级以上表彰奖励：申报 10 分，待认定" in page
    assert text("review.button.award", number=1, points="10") in [
        b.text for b in bot.card(OFFICER).buttons
    ]


async def test_rescoring_an_item_stores_the_reviewer_score_and_a_redelivery_changes_nothing(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.items"))
    press = await bot.press(OFFICER, "2")
    after = await review_snapshot(bot)
    await bot.deliver(bot.updates.re_deliver(press))

    answers = await bot.database.run(
        lambda s: repo.answers_of(s, ids["东村党支部"], "reviewer")  # type: ignore[arg-type]
    )
    assert answers == {"team.study": Decimal(2)}
    assert "考评：2" in (bot.card(OFFICER).text or "")
    assert await review_snapshot(bot) == after
    audit = await bot.database.run(
        lambda s: [
            (e.action, e.actor_id is not None)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "review.rescore"))
        ]
    )
    assert audit == [("review.rescore", True)]


async def test_a_press_on_an_old_card_is_stale_and_changes_nothing(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.items"))
    old_card = bot.card(OFFICER)
    await bot.press(OFFICER, "2")
    before = await review_snapshot(bot)
    await bot.press_data(OFFICER, old_card.callback_data("3"), old_card)
    assert toast(bot) == text("common.stale_button")
    assert await review_snapshot(bot) == before


async def test_typed_score_then_marking_reviewed_moves_the_branch_on(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.mark_reviewed"))
    refused = toast(bot)
    await bot.send(OFFICER, "/score 好=3 一般=1")
    await bot.press(OFFICER, text("review.button.mark_reviewed"))
    score = await bot.database.run(lambda s: s.scalar(select(ReviewScore.score)))
    assert refused == text("review.needs_review_score")
    assert score == Decimal("90.00")
    assert (await assessment_row(bot, ids["东村党支部"]))[0] == "reviewed"


async def test_returning_needs_a_reason_and_owes_the_secretary_a_message(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.return"))
    asked = toast(bot)
    await bot.send(OFFICER, "/return")
    no_reason = bot.last(OFFICER).text
    await bot.send(OFFICER, "/return 缺少组织生活会记录")
    deliveries = await bot.database.run(
        lambda s: [
            (d.kind, d.recipient_telegram_id, d.payload["reason"])
            for d in s.scalars(select(Delivery))
        ]
    )
    assert asked == no_reason == text("review.return_needs_reason")
    assert (await assessment_row(bot, ids["东村党支部"]))[0] == "returned"
    assert deliveries == [("review_event", secretary.id, "缺少组织生活会记录")]

    (job,) = bot.app.job_queue.get_jobs_by_name(SWEEP_JOB_NAME)  # type: ignore[union-attr]
    await job.run(bot.app)
    assert bot.last(secretary).text == text(
        "review.event.returned", branch="东村党支部", reason="缺少组织生活会记录"
    )


async def test_a_bonus_is_awarded_in_full_by_button_and_reduced_by_typing(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)

    def claims(session: Session) -> None:
        for points in (12, 10):
            repo.add_claim(
                session,
                ids["东村党支部"],
                ClaimDirection.BONUS,
                "commendation",
                Decimal(points),
                "表彰",
                None,
                bot.now,
            )

    await bot.database.run(claims)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.award", number=1, points="12"))
    await bot.press(OFFICER, text("review.button.award", number=2, points="10"))
    over_cap = toast(bot)
    await bot.send(OFFICER, "/claim 2 8 只有一份表彰文件")
    decided = await bot.database.run(
        lambda s: [
            (c.status, c.points_awarded) for c in s.scalars(select(Claim).order_by(Claim.id))
        ]
    )
    assert over_cap == text("review.award_refused")
    assert decided == [("awarded", Decimal(12)), ("awarded", Decimal(8))]


async def test_a_deduction_is_typed_with_its_kind_points_and_reason(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.send(OFFICER, "/deduct 1 15 舆情")
    too_small = bot.last(OFFICER).text
    await bot.send(OFFICER, "/deduct 1 20 发生舆情事件")
    claims = await bot.database.run(
        lambda s: [
            (c.direction, c.kind, c.points_awarded, c.reason) for c in s.scalars(select(Claim))
        ]
    )
    assert too_small == text("review.action_failed")
    assert claims == [("deduction", "major_incident", Decimal(20), "发生舆情事件")]


async def test_an_item_is_rescored_to_the_cent_by_a_typed_command(
    bot: Harness, secretary: FakeUser
) -> None:
    ids = await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.send(OFFICER, "/rescore 1")
    usage = bot.last(OFFICER).text
    await bot.send(OFFICER, "/rescore 1 4.01")
    over_full_marks = bot.last(OFFICER).text
    await bot.send(OFFICER, "/rescore 1 3.75")
    replies = [m.text for m in bot.api.chat_messages(OFFICER.id) if m.from_bot]
    saved, page = replies[-2], replies[-1] or ""

    answers = await bot.database.run(
        lambda s: repo.answers_of(s, ids["东村党支部"], "reviewer")  # type: ignore[arg-type]
    )
    assert usage == text("review.rescore_usage", count=38)
    assert over_full_marks == text("review.action_failed")
    assert saved == text("review.rescore_saved", number=1, score="3.75")
    assert page.startswith("东村党支部（农村党支部）")
    assert answers == {"team.study": Decimal("3.75")}


async def test_the_evidence_is_sent_again_by_its_stored_file_id(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    stored = await bot.database.run(lambda s: s.scalar(select(repo_evidence_file_id())))
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.evidence"))
    # The dashboard's chart is an upload; the evidence goes by its stored file id.
    sent = [call.params.get("photo") for call in bot.api.calls_to("sendPhoto")]
    assert sent == [None, stored]


def repo_evidence_file_id() -> Any:
    from storage.models import Evidence

    return Evidence.file_id


async def test_typed_commands_without_an_open_branch_say_how(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await bot.send(OFFICER, "/score 90")
    await bot.send(secretary, "/score 90")
    assert bot.last(OFFICER).text == text("review.no_focus")
    assert bot.last(secretary).text == text("review.not_reviewer")


@pytest.mark.parametrize(
    "forge",
    [
        "vh:{town}:0",
        "vl:{town}:0:all:1",
        "vb:{assessment}:0",
        "ve:{assessment}:0",
        "vi:{assessment}:{marker}:1",
        "vs:{assessment}:{marker}:1:4",
        "va:{assessment}:{marker}:1",
        "vm:{assessment}:{marker}",
        "vt:{assessment}:{marker}",
    ],
)
@pytest.mark.parametrize("who", ["secretary", "other_officer"])
async def test_every_review_button_is_refused_to_a_secretary_and_another_towns_officer(
    bot: Harness, secretary: FakeUser, forge: str, who: str
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.items"))
    card = decode(bot.card(OFFICER).callback_data("4"))
    user = secretary if who == "secretary" else OTHER_OFFICER
    await bot.send(user, "/start")
    before = await review_snapshot(bot)
    data = forge.format(town=bot.seed.town_id, assessment=card.assessment_id, marker=card.marker)
    await bot.press_data(user, data, bot.last(user))
    assert toast(bot) == text("common.refused")
    assert await review_snapshot(bot) == before


@pytest.mark.parametrize(
    "forge",
    [
        "vl:{town}:0:everything:1",
        "vl:{town}:0:all:0",
        "vl:{town}:7:all:1",
        "vl:999:0:all:1",
        "vi:{assessment}:{marker}:39",
        "vs:{assessment}:{marker}:1:3.5",
        "vs:{assessment}:{marker}:1:-1",
        "vs:{assessment}:{marker}:99:1",
        "va:{assessment}:{marker}:999",
        "vb:999:0",
        "vh:{town}:0:extra",
        "vs:{assessment}:{marker}:1:4' OR 1=1",
    ],
)
async def test_forged_review_data_changes_nothing_even_for_the_towns_officer(
    bot: Harness, secretary: FakeUser, forge: str
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.items"))
    card_message = bot.card(OFFICER)
    card = decode(card_message.callback_data("4"))
    before = await review_snapshot(bot)
    data = forge.format(town=bot.seed.town_id, assessment=card.assessment_id, marker=card.marker)
    await bot.press_data(OFFICER, data, card_message)
    assert toast(bot) == text("common.refused")
    assert await review_snapshot(bot) == before


async def test_a_revoked_officer_is_refused_at_the_next_press(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    await bot.press(OFFICER, text("review.button.items"))

    def revoke(session: Session) -> None:
        person = repo.find_person(session, OFFICER.id)
        assert person is not None
        repo.revoke_role(session, person, "town", bot.seed.town_id, bot.now)  # type: ignore[arg-type]

    await bot.database.run(revoke)
    before = await review_snapshot(bot)
    await bot.press(OFFICER, "2")
    assert toast(bot) == text("common.refused")
    assert await review_snapshot(bot) == before


async def test_the_open_branch_survives_a_restart(sqlite_url: str, secretary: FakeUser) -> None:
    database = create_database(sqlite_url)
    seed = await seed_county(database)
    first = await start_harness(database, seed, FakeBotApi())
    ids = await reviewing(first, secretary)
    await open_branch(first)
    # The old process dies; a new one opens the same file.
    database_after = create_database(sqlite_url)
    try:
        second = await start_harness(database_after, seed, FakeBotApi())
        second.updates._next_update_id = 10_000
        await second.send(OFFICER, "/score 87.5")
        score = await database_after.run(
            lambda s: s.scalar(
                select(ReviewScore.score).where(ReviewScore.assessment_id == ids["东村党支部"])
            )
        )
        assert score == Decimal("87.5")
        await second.app.shutdown()
    finally:
        await database_after.dispose()
        await first.app.shutdown()
        await database.dispose()


async def test_a_redelivered_typed_command_changes_nothing(
    bot: Harness, secretary: FakeUser
) -> None:
    await reviewing(bot, secretary)
    await open_branch(bot)
    command = await bot.send(OFFICER, "/score 91")
    after = await review_snapshot(bot)
    await bot.deliver(bot.updates.re_deliver(command))
    assert await review_snapshot(bot) == after
    assert after["review_score"][0][1] == Decimal(91)
