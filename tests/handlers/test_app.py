"""The wiring: settings, build_application, the command menu, failures told plainly."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

import handlers.sitting
from bot.app import COMMANDS, build_application, prepare_application
from bot.cli import app as cli
from bot.logs import RedactingFilter
from bot.offline import FakeBotApi, FakeUser
from bot.settings import Settings
from handlers.catalogue import text
from tests.handlers.conftest import Harness, offline_settings, snapshot


async def test_prepare_opens_the_database_and_sets_chinese_commands(sqlite_url: str) -> None:
    api = FakeBotApi()
    app = build_application(offline_settings(sqlite_url), request=api)
    await app.initialize()
    try:
        await prepare_application(app)
        sent = api.calls_to("setMyCommands")[-1].params["commands"]
    finally:
        await app.shutdown()
        await app.post_shutdown(app)  # type: ignore[misc]

    assert [command["command"] for command in sent] == list(COMMANDS)
    assert sent[1]["description"] == text("commands.assess")
    assert app.bot_data.database is None
    api.assert_no_violations()


def test_build_without_token_or_transport_refuses() -> None:
    with pytest.raises(ValueError, match="PINGXING_BOT_TOKEN"):
        build_application(offline_settings())


@pytest.mark.parametrize(
    ("variables", "field", "expected"),
    [
        ({"PINGXING_BOT_TOKEN": "1:abc"}, "bot_token", "**********"),
        ({"PINGXING_BOT_TOKEN": ""}, "bot_token", "None"),
        ({"PINGXING_TIMEZONE": "Asia/Urumqi"}, "timezone", "Asia/Urumqi"),
        (
            {"PINGXING_BOT_API_URL": "http://127.0.0.1:8081/bot"},
            "bot_api_url",
            "http://127.0.0.1:8081/bot",
        ),
        (
            {"PINGXING_DATABASE_URL": "sqlite+aiosqlite:///x.db"},
            "database_url",
            "sqlite+aiosqlite:///x.db",
        ),
    ],
)
def test_settings_read_the_environment(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], field: str, expected: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert str(getattr(settings, field)) == expected


def test_settings_refuse_an_unknown_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGXING_TIMEZONE", "Mars/Olympus")

    with pytest.raises(ValueError, match="Mars/Olympus"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_run_without_token_exits_2_and_points_to_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.delenv("PINGXING_BOT_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["run"])

    assert result.exit_code == 2
    assert "pingxing demo" in result.output


async def test_a_failed_commit_tells_the_user_it_was_not_saved(
    bot: Harness, secretary: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    before = await snapshot(bot.database)

    def broken_write(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("UPDATE answer", {}, Exception("disk I/O error"))

    monkeypatch.setattr(handlers.sitting, "set_answer", broken_write)
    await bot.press(secretary, "完全做到")

    assert await snapshot(bot.database) == before
    assert bot.answers()[-1].get("text") == text("common.not_saved")


async def test_an_unexpected_error_is_logged_without_the_token_and_told_plainly(
    bot: Harness,
    secretary: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    token = bot.app.bot.token

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom with {token}")

    monkeypatch.setattr(handlers.sitting, "set_answer", crash)
    # As in `pingxing run`: the redacting filter sits on every root handler.
    caplog.handler.addFilter(RedactingFilter([token]))
    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        await bot.press(secretary, "完全做到")

    assert bot.answers()[-1].get("text") == text("errors.unexpected")
    assert "RuntimeError" in caplog.text
    assert token not in caplog.text


async def test_an_expired_callback_query_is_not_an_error(
    bot: Harness, secretary: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.bind(secretary)
    await bot.send(secretary, "/assess")
    update = bot.updates.press_button(secretary, bot.card(secretary), "完全做到")
    bot.api.expire_callback_queries()
    with caplog.at_level(logging.ERROR):
        await bot.deliver(update)

    assert "第 2/38 项" in (bot.card(secretary).text or "")
    assert caplog.records == []
