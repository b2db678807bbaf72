"""The Bot API spec checker: each rule with requests that pass and requests that fail."""

from pathlib import Path
from typing import Any

import pytest

from bot.offline.spec import default_spec

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENDORED = PROJECT_ROOT / "bot" / "offline" / "telegram_api" / "api.min.json"
SHARED = PROJECT_ROOT.parent / "shared" / "telegram-bot-api-spec" / "api.min.json"


def check(method: str, params: dict[str, Any], files: tuple[str, ...] = ()) -> list[str]:
    return default_spec().check(method, params, files)


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


def test_the_vendored_description_equals_the_shared_one() -> None:
    if not SHARED.exists():
        pytest.skip(f"no shared description at {SHARED} to compare with")
    assert VENDORED.read_bytes() == SHARED.read_bytes()


def test_the_description_is_read_once() -> None:
    assert default_spec() is default_spec()


@pytest.mark.parametrize(
    ("method", "params", "files"),
    [
        ("getMe", {}, ()),
        ("sendMessage", {"chat_id": 1001, "text": "你好"}, ()),
        ("sendMessage", {"chat_id": "@pingxing_channel", "text": "你好"}, ()),
        ("sendMessage", {"chat_id": 1001, "text": "第 7/34 项", "entities": [
            {"type": "bold", "offset": 0, "length": 8}]}, ()),
        ("sendMessage", {"chat_id": 1001, "text": "x", "reply_markup": keyboard(
            {"text": "完全做到", "callback_data": "answer:17:members.points:full"})}, ()),
        ("sendPhoto", {"chat_id": 1001}, ("photo",)),
        ("sendPhoto", {"chat_id": 1001, "photo": "attach://part1"}, ("part1",)),
        ("sendPhoto", {"chat_id": 1001, "photo": "AgACAgUAAxkBAAI"}, ()),
        ("answerCallbackQuery", {"callback_query_id": "42", "text": "已保存"}, ()),
        ("editMessageText", {"chat_id": 1001, "message_id": 5, "text": "x"}, ()),
        ("editMessageReplyMarkup", {"inline_message_id": "abc"}, ()),
        ("setMyCommands", {"commands": [{"command": "start", "description": "开始"}],
                           "scope": {"type": "all_private_chats"}, "language_code": "zh"}, ()),
        ("sendChatAction", {"chat_id": 1001, "action": "typing"}, ()),
        ("getFile", {"file_id": "BQACAgUAAx"}, ()),
        ("sendMessage", {"chat_id": 1001, "text": "x", "link_preview_options": {
            "is_disabled": True}}, ()),
    ],
)  # fmt: skip
def test_a_request_telegram_accepts_has_no_problems(
    method: str, params: dict[str, Any], files: tuple[str, ...]
) -> None:
    assert check(method, params, files) == []


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("sendMesage", {}, "sendMesage: not a method of the Bot API (Bot API 10.1) (value "
                           "'sendMesage')"),
        ("sendMessage", {"chat_id": 1001}, "sendMessage.text: required field missing"),
        ("sendMessage", {"text": "x"}, "sendMessage.chat_id: required field missing"),
        ("sendPhoto", {"chat_id": 1001}, "sendPhoto.photo: required field missing"),
        ("sendMessage", {"chat_id": 1, "text": "x", "txt": "y"},
         "sendMessage.txt: unknown field (value 'y')"),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {
            "inline_keyboard": [], "resize": True}},
         "sendMessage.reply_markup.resize: unknown field of InlineKeyboardMarkup (value True)"),
    ],
)  # fmt: skip
def test_methods_and_fields_are_checked_against_the_description(
    method: str, params: dict[str, Any], expected: str
) -> None:
    assert check(method, params) == [expected]


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("sendMessage", {"chat_id": True, "text": "x"},
         "sendMessage.chat_id: expected Integer or String (value True)"),
        ("sendMessage", {"chat_id": 1.5, "text": "x"},
         "sendMessage.chat_id: expected Integer or String (value 1.5)"),
        ("sendMessage", {"chat_id": 1, "text": 5}, "sendMessage.text: expected String (value 5)"),
        ("sendMessage", {"chat_id": 1, "text": "x", "disable_notification": "yes"},
         "sendMessage.disable_notification: expected Boolean (value 'yes')"),
        ("sendMessage", {"chat_id": 1, "text": "x", "message_thread_id": "7"},
         "sendMessage.message_thread_id: expected Integer (value '7')"),
        ("sendLocation", {"chat_id": 1, "latitude": "north", "longitude": 120.1},
         "sendLocation.latitude: expected Float (value 'north')"),
        ("sendMessage", {"chat_id": 1, "text": "x", "entities": {"type": "bold"}},
         "sendMessage.entities: expected Array of MessageEntity (a JSON array) (value "
         "{'type': 'bold'})"),
        ("sendMessage", {"chat_id": 1, "text": "x", "reply_parameters": 17},
         "sendMessage.reply_parameters: expected ReplyParameters (a JSON object) (value 17)"),
        ("deleteMessages", {"chat_id": 1, "message_ids": [1, "2"]},
         "deleteMessages.message_ids[1]: expected Integer (value '2')"),
        ("setMyCommands", {"commands": [], "scope": {"type": "chat"}},
         "setMyCommands.scope.chat_id: required field missing"),
        ("setMyCommands", {"commands": [], "scope": {"type": "everyone"}},
         "setMyCommands.scope.type: names no kind of BotCommandScope (value 'everyone')"),
        ("sendPhoto", {"chat_id": 1, "photo": "attach://missing"},
         "sendPhoto.photo: attach:// names no uploaded file (value 'attach://missing')"),
    ],
)  # fmt: skip
def test_values_of_the_wrong_type_are_named_with_their_value(
    method: str, params: dict[str, Any], expected: str
) -> None:
    assert check(method, params) == [expected]


@pytest.mark.parametrize(
    ("text", "parse_mode", "expected"),
    [
        ("字" * 4096, None, []),
        ("a" * 4096, None, []),
        ("  " + "字" * 4096 + "\n", None, []),
        ("字" * 4097, None, ["4097 characters after entity parsing, allowed 1-4096"]),
        ("", None, ["empty after entity parsing and whitespace stripping"]),
        (" \n ", None, ["empty after entity parsing and whitespace stripping"]),
        ("<b>x</b>", "HTML",
         ["not modelled by the offline Bot API, which takes plain text only"]),
    ],
)  # fmt: skip
def test_message_text_is_measured_after_entity_parsing(
    text: str, parse_mode: str | None, expected: list[str]
) -> None:
    params: dict[str, Any] = {"chat_id": 1001, "text": text}
    if parse_mode is not None:
        params["parse_mode"] = parse_mode
    problems = check("sendMessage", params)
    actual = [problem.split(": ", 1)[1].rsplit(" (value ", 1)[0] for problem in problems]
    assert actual == expected


@pytest.mark.parametrize(
    ("method", "caption", "expected_count"),
    [
        ("sendPhoto", "", 0),
        ("sendPhoto", "图" * 1024, 0),
        ("sendPhoto", "图" * 1025, 1),
        ("sendDocument", "图" * 1024, 0),
        ("sendDocument", "图" * 1025, 1),
        ("editMessageCaption", "图" * 1025, 1),
    ],
)
def test_captions_are_limited_to_1024_characters(
    method: str, caption: str, expected_count: int
) -> None:
    params: dict[str, Any] = {"chat_id": 1001, "caption": caption}
    files: tuple[str, ...] = ()
    if method == "editMessageCaption":
        params["message_id"] = 3
    else:
        files = (method.removeprefix("send").lower(),)
    assert len(check(method, params, files)) == expected_count


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ({"text": "完全做到", "callback_data": "a" * 64}, []),
        ({"text": "完全做到", "callback_data": "评" * 21}, []),
        ({"text": "链接", "url": "https://example.org"}, []),
        ({"text": "完全做到", "callback_data": "a" * 65},
         ["[0][0].callback_data: 65 bytes in UTF-8, allowed 1-64"]),
        ({"text": "完全做到", "callback_data": "评" * 22},
         ["[0][0].callback_data: 66 bytes in UTF-8, allowed 1-64"]),
        ({"text": "完全做到", "callback_data": ""},
         ["[0][0].callback_data: 0 bytes in UTF-8, allowed 1-64"]),
        ({"text": "完全做到"}, ["[0][0]: needs exactly one action field, has 0"]),
        ({"text": "完全做到", "callback_data": "a", "url": "https://example.org"},
         ["[0][0]: needs exactly one action field, has 2"]),
        ({"text": " ", "callback_data": "a"}, ["[0][0].text: button text must not be empty"]),
        ({"callback_data": "a"}, ["[0][0].text: required field missing"]),
        ({"text": "x", "callback_data": "a", "style": "loud", "colour": "red"},
         ["[0][0].colour: unknown field of InlineKeyboardButton",
          "[0][0]: needs exactly one action field, has 2"]),
    ],
)  # fmt: skip
def test_inline_keyboard_buttons_are_checked_and_callback_data_counted_in_bytes(
    button: dict[str, Any], expected: list[str]
) -> None:
    problems = check("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": keyboard(button)})
    prefix = "sendMessage.reply_markup.inline_keyboard"
    actual = [problem.removeprefix(prefix).rsplit(" (value ", 1)[0] for problem in problems]
    assert actual == expected


def test_an_inline_keyboard_that_is_not_rows_of_buttons_is_refused() -> None:
    problems = check(
        "sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [{}]}}
    )
    assert problems == [
        "sendMessage.reply_markup.inline_keyboard[0]: expected Array of InlineKeyboardButton "
        "(a JSON array) (value {})"
    ]


@pytest.mark.parametrize(
    ("text", "expected_count"),
    [("", 0), ("已保存", 0), ("字" * 200, 0), ("字" * 201, 1)],
)
def test_a_callback_answer_is_at_most_200_characters(text: str, expected_count: int) -> None:
    assert len(check("answerCallbackQuery", {"callback_query_id": "1", "text": text})) == (
        expected_count
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ({"command": "start", "description": "开始"}, []),
        ({"command": "my_status2", "description": "字" * 256}, []),
        ({"command": "Start", "description": "开始"},
         ["command: must be 1-32 of lowercase letters, digits and underscores"]),
        ({"command": "状态", "description": "开始"},
         ["command: must be 1-32 of lowercase letters, digits and underscores"]),
        ({"command": "a" * 33, "description": "开始"},
         ["command: must be 1-32 of lowercase letters, digits and underscores"]),
        ({"command": "", "description": "开始"},
         ["command: must be 1-32 of lowercase letters, digits and underscores"]),
        ({"command": "start", "description": ""}, ["description: 0 characters, allowed 1-256"]),
        ({"command": "start", "description": "字" * 257},
         ["description: 257 characters, allowed 1-256"]),
    ],
)  # fmt: skip
def test_bot_commands_follow_telegrams_naming_rules(
    command: dict[str, Any], expected: list[str]
) -> None:
    problems = check("setMyCommands", {"commands": [command]})
    actual = [
        problem.removeprefix("setMyCommands.commands[0].").rsplit(" (value ", 1)[0]
        for problem in problems
    ]
    assert actual == expected


def test_more_than_100_commands_are_refused() -> None:
    commands = [{"command": f"c{index}", "description": "x"} for index in range(101)]
    assert check("setMyCommands", {"commands": commands}) == [
        "setMyCommands.commands: 101 commands, at most 100 (value 101)"
    ]


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("editMessageText", {"chat_id": 1, "message_id": 2, "text": "x"}, []),
        ("editMessageText", {"inline_message_id": "i", "text": "x"}, []),
        ("editMessageText", {"chat_id": 1, "text": "x"},
         ["editMessageText.chat_id+message_id: required if inline_message_id is not specified "
          "(value {'chat_id': 1})"]),
        ("editMessageReplyMarkup", {"message_id": 2},
         ["editMessageReplyMarkup.chat_id+message_id: required if inline_message_id is not "
          "specified (value {'message_id': 2})"]),
        ("editMessageCaption", {"chat_id": 1, "message_id": 2, "inline_message_id": "i"},
         ["editMessageCaption.inline_message_id: given together with chat_id/message_id; use "
          "one or the other (value 'i')"]),
    ],
)  # fmt: skip
def test_edits_name_their_message_one_way_or_the_other(
    method: str, params: dict[str, Any], expected: list[str]
) -> None:
    assert check(method, params) == expected


def test_a_long_value_is_shortened_in_the_message() -> None:
    (problem,) = check("sendMessage", {"chat_id": 1, "text": "字" * 5000})
    assert problem == (
        "sendMessage.text: 5000 characters after entity parsing, allowed 1-4096 (value '"
        + "字" * 59
        + "...')"
    )


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {
            "id": 1001, "type": "private"}, "text": "/start", "entities": [
            {"type": "bot_command", "offset": 0, "length": 6}]}}, []),
        ({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1001}}},
         ["Update.message.chat.type: required field missing"]),
        ({"update_id": 1, "callback_query": {"id": "1", "from": {
            "id": 1, "is_bot": False, "first_name": "张"}, "chat_instance": "1", "date": 0}},
         ["Update.callback_query.date: unknown field of CallbackQuery (value 0)"]),
    ],
)  # fmt: skip
def test_objects_such_as_updates_are_checked_against_their_type(
    update: dict[str, Any], expected: list[str]
) -> None:
    assert default_spec().check_object("Update", update) == expected
