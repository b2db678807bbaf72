"""Updates built by the factory drive a real Application as Telegram's would."""

import asyncio
import contextlib
import datetime as dtm

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.offline import BotApiViolation, FakeBotApi, FakeUser, UpdateFactory


def levels_keyboard(item: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("完全做到", callback_data=f"answer:{item}:full"),
                InlineKeyboardButton("未做到", callback_data=f"answer:{item}:none"),
            ]
        ]
    )


async def show_first_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /start with the code it was given and the first item's keyboard."""
    assert update.message is not None
    await update.message.reply_text(
        f"邀请码 {' '.join(context.args or [])} · 第 1 项", reply_markup=levels_keyboard(1)
    )


async def record_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers the press and moves the message on to the next item."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    context.bot_data.setdefault("seen", []).append((update.update_id, query.data))
    await query.answer("已保存")
    item = int(query.data.split(":")[1]) + 1
    await query.edit_message_text(f"第 {item} 项", reply_markup=levels_keyboard(item))


async def count_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Fetches the file the user sent and tells its size."""
    assert update.message is not None
    attachment = update.message.effective_attachment
    file_id = attachment[-1].file_id if isinstance(attachment, tuple) else attachment.file_id
    stored = await context.bot.get_file(file_id)
    await update.message.reply_text(f"收到 {stored.file_size} 字节")


@pytest.fixture
def wired(application: Application) -> Application:
    application.add_handler(CommandHandler("start", show_first_item))
    application.add_handler(CallbackQueryHandler(record_answer))
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, count_evidence))
    return application


async def test_start_with_a_code_reaches_the_command_handler_with_its_argument(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    update = updates.message(secretary, "/start ABCD1234")
    await wired.process_update(update)
    assert update.message.entities[0].type == "bot_command"
    assert api.last_message(secretary.id).text == "邀请码 ABCD1234 · 第 1 项"
    api.assert_no_violations()


async def test_update_ids_increase_and_user_messages_share_the_chats_message_ids(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    first = updates.message(secretary, "/start A")
    await wired.process_update(first)
    second = updates.message(secretary, "你好")
    assert (first.update_id, second.update_id) == (1, 2)
    assert [message.message_id for message in api.chat_messages(secretary.id)] == [2]
    assert [m.message_id for m in api.chat_messages(secretary.id, include_incoming=True)] == [
        1,
        2,
        3,
    ]


async def test_a_pressed_button_is_answered_and_the_message_edited_in_place(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    await wired.process_update(updates.message(secretary, "/start A"))
    card = api.last_message(secretary.id)
    await wired.process_update(updates.press_button(secretary, card, "完全做到"))
    current = api.last_message(secretary.id)
    assert (current.message_id, current.text, current.callback_data("未做到")) == (
        card.message_id,
        "第 2 项",
        "answer:2:none",
    )
    assert [call.method for call in api.calls[-2:]] == ["answerCallbackQuery", "editMessageText"]
    api.assert_no_violations()


async def test_a_stale_keyboard_can_be_pressed_and_carries_the_current_message(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    await wired.process_update(updates.message(secretary, "/start A"))
    old_snapshot = api.last_message(secretary.id)
    await wired.process_update(updates.press_button(secretary, old_snapshot, "完全做到"))
    stale_press = updates.press(secretary, old_snapshot, "answer:1:none")
    assert (stale_press.callback_query.data, stale_press.callback_query.message.text) == (
        "answer:1:none",
        "第 2 项",
    )
    assert (old_snapshot.text, old_snapshot.callback_data("未做到")) == (
        "邀请码 A · 第 1 项",
        "answer:1:none",
    )


async def test_a_redelivered_update_has_the_same_id_and_content(
    wired: Application, updates: UpdateFactory, secretary: FakeUser, api: FakeBotApi
) -> None:
    await wired.process_update(updates.message(secretary, "/start A"))
    press = updates.press_button(secretary, api.last_message(secretary.id), "未做到")
    again = updates.re_deliver(press)
    assert (again.update_id, again.callback_query.id, again.callback_query.data) == (
        press.update_id,
        press.callback_query.id,
        "answer:1:none",
    )
    assert again is not press


async def test_a_redelivered_press_cannot_be_answered_twice(
    wired: Application, updates: UpdateFactory, secretary: FakeUser, api: FakeBotApi
) -> None:
    await wired.process_update(updates.message(secretary, "/start A"))
    press = updates.press_button(secretary, api.last_message(secretary.id), "未做到")
    await wired.process_update(press)
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await updates.re_deliver(press).callback_query.answer()


async def test_pressing_a_deleted_message_is_impossible(
    wired: Application, updates: UpdateFactory, secretary: FakeUser, api: FakeBotApi
) -> None:
    await wired.process_update(updates.message(secretary, "/start A"))
    card = api.last_message(secretary.id)
    await wired.bot.delete_message(secretary.id, card.message_id)
    with pytest.raises(LookupError, match=r"no message 2 in chat 1001"):
        updates.press(secretary, card, "answer:1:full")


async def test_a_photo_from_the_user_can_be_fetched_by_the_bot(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    update = updates.photo(secretary, file_id="photo-1", file_unique_id="u-1", file_size=345_678)
    await wired.process_update(update)
    largest = update.message.photo[-1]
    assert (largest.file_id, largest.file_unique_id, largest.file_size) == (
        "photo-1",
        "u-1",
        345_678,
    )
    assert api.last_message(secretary.id).text == "收到 345678 字节"


async def test_a_document_from_the_user_carries_its_name_and_type(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    update = updates.document(
        secretary, file_name="三会一课记录.docx", mime_type="application/msword", file_size=9_000
    )
    await wired.process_update(update)
    document = update.message.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "三会一课记录.docx",
        "application/msword",
        9_000,
    )
    assert api.last_message(secretary.id).text == "收到 9000 字节"


async def test_a_violation_inside_a_handler_is_kept_even_when_ptb_swallows_it(
    api: FakeBotApi, application: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    async def reply_with_long_data(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Sends a button whose data is 66 bytes and catches only what Telegram would raise."""
        assert update.message is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="评" * 22)]])
        with contextlib.suppress(BadRequest):
            await update.message.reply_text("x", reply_markup=markup)

    errors: list[BaseException] = []

    async def keep_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Keeps what reached the error handler."""
        errors.append(context.error)

    application.add_handler(CommandHandler("start", reply_with_long_data))
    application.add_error_handler(keep_error)
    await application.process_update(updates.message(secretary, "/start"))
    assert [type(error) for error in errors] == [BotApiViolation]
    with pytest.raises(BotApiViolation, match=r"66 bytes in UTF-8"):
        api.assert_no_violations()


async def test_the_user_is_the_chat_of_a_private_message(
    updates: UpdateFactory, secretary: FakeUser
) -> None:
    update = updates.message(secretary, "你好")
    assert (update.effective_chat.id, update.effective_chat.type, update.effective_user.id) == (
        1001,
        "private",
        1001,
    )
    assert update.get_bot() is updates.bot


async def test_the_real_polling_loop_receives_queued_updates(
    api: FakeBotApi, wired: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    await wired.start()
    await wired.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=2))
    updates.enqueue(updates.message(secretary, "/start POLL"))
    for _ in range(200):
        if api.chat_messages(secretary.id):
            break
        await asyncio.sleep(0.01)
    await wired.updater.stop()
    await wired.stop()
    assert api.last_message(secretary.id).text == "邀请码 POLL · 第 1 项"
    assert api.take_updates(None, 100) == []
