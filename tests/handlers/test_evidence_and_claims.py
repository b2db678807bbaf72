"""Evidence on the current item, and bonus and deduction declarations."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bot.offline import FakeUser
from handlers.catalogue import text
from handlers.evidence import MAX_FILE_BYTES
from storage.models import Claim, Evidence
from tests.handlers.conftest import Harness


async def assessing(bot: Harness, user: FakeUser) -> None:
    await bot.bind(user)
    await bot.send(user, "/assess")


async def evidence_rows(bot: Harness) -> list[tuple[str, str, str]]:
    query = select(Evidence.item_id, Evidence.kind, Evidence.file_unique_id).order_by(Evidence.id)
    return await bot.database.run(
        lambda session: [tuple(row) for row in session.execute(query)]  # type: ignore[misc]
    )


async def test_the_same_file_twice_is_kept_once(bot: Harness, secretary: FakeUser) -> None:
    await assessing(bot, secretary)
    first = bot.updates.photo(secretary, file_unique_id="photo-1")
    await bot.deliver(first)
    photo = first.effective_message.photo[-1]  # type: ignore[union-attr]
    await bot.deliver(bot.updates.photo(secretary, file_id=photo.file_id))
    duplicate_reply = bot.last(secretary).text

    assert [row[:2] for row in await evidence_rows(bot)] == [("team.study", "photo")]
    assert duplicate_reply == text("evidence.duplicate", number=1, count=1)
    assert "已附佐证：1 份" in (bot.card(secretary).text or "")


async def test_a_file_over_20_mb_is_refused_before_any_download(
    bot: Harness, secretary: FakeUser
) -> None:
    await assessing(bot, secretary)
    await bot.deliver(bot.updates.document(secretary, file_size=MAX_FILE_BYTES + 1))

    assert await evidence_rows(bot) == []
    assert bot.last(secretary).text == text("evidence.too_large", limit_mb=20)
    assert bot.api.calls_to("getFile") == []


async def test_photo_document_and_note_attach_to_the_current_item(
    bot: Harness, secretary: FakeUser
) -> None:
    await assessing(bot, secretary)
    await bot.press(secretary, "完全做到")
    await bot.press(secretary, "📎 附佐证")
    prompt = bot.card(secretary).text
    await bot.deliver(bot.updates.photo(secretary))
    await bot.deliver(bot.updates.document(secretary, file_size=MAX_FILE_BYTES))
    await bot.send(secretary, "见村务公开栏照片")

    assert {row[0] for row in await evidence_rows(bot)} == {"team.policy"}
    assert [row[1] for row in await evidence_rows(bot)] == ["photo", "document", "note"]
    assert "第 2 项" in (prompt or "")
    assert "已附佐证：3 份" in (bot.card(secretary).text or "")


async def test_a_bonus_is_declared_with_points_and_a_reason(
    bot: Harness, secretary: FakeUser
) -> None:
    await assessing(bot, secretary)
    await bot.press(secretary, "➕➖ 加分/减分")
    await bot.press(secretary, "加分：党支部或所属党员受到县级以上表彰奖励")
    await bot.press(secretary, "5 分")
    await bot.send(secretary, "2026年获县级先进基层党组织表彰")

    claims = await bot.database.run(lambda session: session.scalars(select(Claim)).all())
    assert [(c.direction, c.kind, c.points_claimed, c.reason) for c in claims] == [
        ("bonus", "commendation", Decimal(5), "2026年获县级先进基层党组织表彰")
    ]
    assert await evidence_rows(bot) == []


async def test_a_deduction_waiting_for_its_reason_can_be_cancelled(
    bot: Harness, secretary: FakeUser
) -> None:
    await assessing(bot, secretary)
    await bot.press(secretary, "➕➖ 加分/减分")
    label = next(b.text for b in bot.card(secretary).buttons if b.text.startswith("减分："))
    await bot.press(secretary, label)
    waiting = await bot.database.run(
        lambda session: session.scalars(select(Claim.points_claimed)).all()
    )
    await bot.send(secretary, "/cancel")

    left = await bot.database.run(lambda session: session.scalars(select(Claim)).all())
    assert waiting == [Decimal(20)]
    assert left == []
    assert bot.last(secretary).text == text("claims.cancelled")
