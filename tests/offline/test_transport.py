"""The fake Bot API answers a real PTB Bot the way Telegram does, and records every call."""

import contextlib
import datetime as dtm

import pytest
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    MessageEntity,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, ApplicationBuilder

from bot.offline import BotApiViolation, FakeBotApi, FakeUser, UpdateFactory

CHAT = 1001


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs]
    )


async def test_initialize_asks_getme_and_the_bot_knows_its_name(
    api: FakeBotApi, application: Application
) -> None:
    assert (api.calls[0].method, application.bot.username, application.bot.id) == (
        "getMe",
        "pingxing_bot",
        7_000_000_001,
    )


async def test_the_same_fake_serves_as_both_request_objects_and_shuts_down_cleanly() -> None:
    api = FakeBotApi()
    application = ApplicationBuilder().token("1:X").request(api).get_updates_request(api).build()
    await application.initialize()
    initialized_while_running = api.initialized
    await application.shutdown()
    assert (initialized_while_running, api.initialized) == (True, False)


async def test_message_ids_increase_per_chat(api: FakeBotApi, application: Application) -> None:
    bot = application.bot
    sent = [
        (await bot.send_message(chat_id, text)).message_id
        for chat_id, text in [(CHAT, "一"), (CHAT, "二"), (2002, "三"), (CHAT, "四")]
    ]
    assert sent == [1, 2, 1, 3]
    assert [message.text for message in api.chat_messages(CHAT)] == ["一", "二", "四"]


async def test_the_answered_message_is_what_telegram_returns(application: Application) -> None:
    bold = MessageEntity(MessageEntity.BOLD, 0, 8)
    message = await application.bot.send_message(
        CHAT, " 第 7/34 项 党员管理\n", entities=[bold], reply_markup=keyboard(("是", "a:1"))
    )
    assert (message.text, message.entities[0].type, message.chat.type, message.from_user.id) == (
        "第 7/34 项 党员管理",
        "bold",
        "private",
        7_000_000_001,
    )
    assert message.reply_markup == keyboard(("是", "a:1"))


async def test_an_edit_replaces_the_text_and_drops_a_keyboard_it_does_not_repeat(
    api: FakeBotApi, application: Application
) -> None:
    bot = application.bot
    sent = await bot.send_message(CHAT, "第 1 项", reply_markup=keyboard(("是", "a:1")))
    await bot.edit_message_text("第 2 项", chat_id=CHAT, message_id=sent.message_id)
    current = api.last_message(CHAT)
    assert (current.text, current.reply_markup, current.edit_date) == (
        "第 2 项",
        None,
        1_800_000_000,
    )


async def test_an_edit_that_changes_nothing_is_not_modified(application: Application) -> None:
    bot = application.bot
    markup = keyboard(("是", "a:1"))
    sent = await bot.send_message(CHAT, "第 1 项", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message"):
        await bot.edit_message_text(
            "第 1 项 ", chat_id=CHAT, message_id=sent.message_id, reply_markup=markup
        )
    with pytest.raises(BadRequest, match=r"^Message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)


@pytest.mark.parametrize(
    ("message_id", "expected"),
    [(99, "Message to edit not found"), (1, "Message can't be edited")],
)
async def test_editing_a_message_the_bot_cannot_edit_is_refused(
    updates: UpdateFactory, application: Application, message_id: int, expected: str
) -> None:
    updates.message(FakeUser(CHAT, "张书记"), "用户自己的消息")  # message 1 is the user's
    with pytest.raises(BadRequest) as caught:
        await application.bot.edit_message_text("x", chat_id=CHAT, message_id=message_id)
    assert caught.value.message == expected


async def test_a_deleted_message_is_gone_and_cannot_be_deleted_twice(
    api: FakeBotApi, application: Application
) -> None:
    bot = application.bot
    first = await bot.send_message(CHAT, "一")
    await bot.send_message(CHAT, "二")
    await bot.delete_message(CHAT, first.message_id)
    with pytest.raises(BadRequest, match=r"^Message to delete not found$"):
        await bot.delete_message(CHAT, first.message_id)
    assert [message.text for message in api.chat_messages(CHAT)] == ["二"]


async def test_a_callback_query_can_be_answered_once(
    api: FakeBotApi, application: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    sent = await application.bot.send_message(
        secretary.id, "第 1 项", reply_markup=keyboard(("是", "a:1"))
    )
    press = updates.press(secretary, sent.message_id, "a:1")
    await press.callback_query.answer("已保存")
    with pytest.raises(BadRequest, match=r"^Query is too old and response timeout expired"):
        await press.callback_query.answer("已保存")
    assert api.callback_answers[press.callback_query.id]["text"] == "已保存"


async def test_an_expired_callback_query_cannot_be_answered(
    api: FakeBotApi, application: Application, updates: UpdateFactory, secretary: FakeUser
) -> None:
    sent = await application.bot.send_message(
        secretary.id, "x", reply_markup=keyboard(("是", "a"))
    )
    press = updates.press(secretary, sent.message_id, "a")
    api.expire_callback_queries()
    with pytest.raises(BadRequest, match=r"^Query is too old"):
        await press.callback_query.answer()


async def test_429_raises_retry_after_with_telegrams_seconds(
    api: FakeBotApi, application: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading RetryAfter.retry_after as int is deprecated in PTB 22; opt in to timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await application.bot.send_message(CHAT, "第 1 项")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert api.calls[-1].result_or_error.to_body() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }


async def test_an_injected_failure_lasts_the_given_number_of_calls(
    api: FakeBotApi, application: Application
) -> None:
    api.fail_next("sendMessage", 403, times=2)
    outcomes = []
    for _ in range(3):
        try:
            await application.bot.send_message(CHAT, "x")
            outcomes.append("sent")
        except Forbidden as error:
            outcomes.append(error.message)
    assert outcomes == ["Forbidden: bot was blocked by the user"] * 2 + ["sent"]


async def test_an_injected_400_raises_bad_request_with_its_description(
    api: FakeBotApi, application: Application
) -> None:
    api.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    sent = await application.bot.send_message(CHAT, "x")
    with pytest.raises(BadRequest, match=r"^Message can't be edited$"):
        await application.bot.edit_message_text("y", chat_id=CHAT, message_id=sent.message_id)


async def test_a_blocked_chat_answers_forbidden(api: FakeBotApi, application: Application) -> None:
    api.block_chat(CHAT)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await application.bot.send_message(CHAT, "提醒")


async def test_an_uploaded_photo_is_recorded_with_its_bytes_and_name(
    api: FakeBotApi, application: Application
) -> None:
    chart = b"\x89PNG\r\n\x1a\nchart"
    message = await application.bot.send_photo(
        CHAT, photo=InputFile(chart, filename="areas.png"), caption="六个方面得分率"
    )
    (call,) = api.calls_to("sendPhoto")
    upload = call.files["photo"]
    assert (upload.filename, upload.content, upload.mimetype) == (
        "areas.png",
        chart,
        "image/png",
    )
    assert (message.caption, message.photo[-1].file_size) == ("六个方面得分率", len(chart))
    stored = await application.bot.get_file(message.photo[-1].file_id)
    assert bytes(await stored.download_as_bytearray()) == chart


async def test_an_uploaded_document_keeps_its_name(
    api: FakeBotApi, application: Application
) -> None:
    message = await application.bot.send_document(
        CHAT, document=b"name,score\n", filename="scores.csv"
    )
    assert (
        message.document.file_name,
        api.calls_to("sendDocument")[0].files["document"].content,
    ) == (
        "scores.csv",
        b"name,score\n",
    )


@pytest.mark.parametrize(
    ("file_size", "expected"),
    [(20 * 1024 * 1024, None), (20 * 1024 * 1024 + 1, "File is too big")],
)
async def test_getfile_refuses_files_over_20_megabytes(
    application: Application,
    updates: UpdateFactory,
    secretary: FakeUser,
    file_size: int,
    expected: str | None,
) -> None:
    update = updates.document(secretary, file_name="会议记录.pdf", file_size=file_size)
    try:
        stored = await application.bot.get_file(update.message.document.file_id)
        actual = None if stored.file_size == file_size else "wrong size"
    except BadRequest as error:
        actual = error.message
    assert actual == expected


async def test_an_unknown_file_id_is_refused(application: Application) -> None:
    with pytest.raises(BadRequest, match=r"^Invalid file_id$"):
        await application.bot.get_file("no-such-file")


async def test_an_over_long_callback_data_is_a_violation(
    api: FakeBotApi, application: Application
) -> None:
    with pytest.raises(BotApiViolation, match=r"65 bytes in UTF-8, allowed 1-64"):
        await application.bot.send_message(CHAT, "x", reply_markup=keyboard(("是", "a" * 65)))
    assert (len(api.violations), api.chat_messages(CHAT)) == (1, [])


@pytest.mark.parametrize(
    ("text", "data", "expected_violations"),
    [
        ("字" * 4096, "评" * 21, 0),
        ("字" * 4097, "评" * 21, 1),
        ("字" * 4096, "评" * 22, 1),
        ("字" * 4097, "评" * 22, 2),
    ],
)
async def test_chinese_text_counts_characters_and_callback_data_counts_bytes(
    text: str, data: str, expected_violations: int
) -> None:
    api = FakeBotApi(strict=False)
    application = ApplicationBuilder().token("1:X").request(api).get_updates_request(api).build()
    await application.initialize()
    with contextlib.suppress(BadRequest):
        await application.bot.send_message(CHAT, text, reply_markup=keyboard(("是", data)))
    await application.shutdown()
    assert len(api.violations) == expected_violations


@pytest.mark.parametrize(
    ("text", "parse_mode", "data", "expected"),
    [
        ("<b>粗体</b>", "HTML", "a",
         "Bad Request: sendMessage.parse_mode: not modelled by the offline Bot API, which takes "
         "plain text only (value 'HTML')"),
        ("字" * 4097, None, "a", "Bad Request: message is too long"),
        (" ", None, "a", "Bad Request: message text is empty"),
        ("x", None, "a" * 65, "Bad Request: BUTTON_DATA_INVALID"),
    ],
)  # fmt: skip
async def test_without_strict_a_violation_answers_400_as_telegram_words_it(
    text: str, parse_mode: str | None, data: str, expected: str
) -> None:
    api = FakeBotApi(strict=False)
    async with ApplicationBuilder().token("1:X").request(api).build() as application:
        with pytest.raises(BadRequest):
            await application.bot.send_message(
                CHAT, text, parse_mode=parse_mode, reply_markup=keyboard(("是", data))
            )
    assert (api.calls[-1].result_or_error.status, api.calls[-1].result_or_error.description) == (
        400,
        expected,
    )


async def test_commands_set_in_chinese_are_read_back(application: Application) -> None:
    commands = [BotCommand("start", "开始"), BotCommand("assess", "自评")]
    await application.bot.set_my_commands(commands)
    assert await application.bot.get_my_commands() == tuple(commands)


async def test_an_unmodelled_method_is_a_violation_not_a_silent_success(
    application: Application,
) -> None:
    with pytest.raises(BotApiViolation, match=r"^sendDice: valid Bot API method the fake"):
        await application.bot.send_dice(CHAT)


async def test_reset_calls_forgets_calls_but_keeps_the_chat(
    api: FakeBotApi, application: Application
) -> None:
    await application.bot.send_message(CHAT, "一")
    api.reset_calls()
    assert (api.calls, [message.text for message in api.chat_messages(CHAT)]) == ([], ["一"])
