"""`pingxing doctor` on a healthy setup and on broken ones, with the offline fake Bot API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.doctor import Finding, diagnose
from bot.offline import FakeBotApi
from bot.settings import Settings

TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-ab"


def settings(database_url: str, **values: Any) -> Settings:
    """Settings with a token, never the developer's `.env`."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, bot_token=TOKEN, **values
    )


def problems(findings: list[Finding]) -> list[str]:
    """The topics of the findings that are not ok."""
    return [finding.topic for finding in findings if not finding.ok]


async def test_a_healthy_setup_has_no_problem(sqlite_url: str) -> None:
    findings = await diagnose(
        settings(sqlite_url, bot_username="pingxing_bot"), request=FakeBotApi()
    )

    assert [(finding.topic, finding.ok) for finding in findings] == [
        ("database", True),
        ("Bot API", True),
        ("webhook", True),
    ]
    assert findings[1].detail == "api.telegram.org answers as @pingxing_bot"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+asyncpg://pingxing@127.0.0.1:1/pingxing", "cannot reach postgresql"),
        (
            "sqlite:///{tmp}/missing.sqlite3",
            "does not exist: create it with `pingxing db upgrade`",
        ),
        ("sqlite:///{tmp}/empty.sqlite3", "is at migration none, this pingxing needs"),
    ],
    ids=["unreachable", "missing-file", "not-migrated"],
)
async def test_a_bad_database_is_named_with_what_to_do(
    tmp_path: Path, url: str, expected: str
) -> None:
    (tmp_path / "empty.sqlite3").touch()

    findings = await diagnose(settings(url.format(tmp=tmp_path)), request=FakeBotApi())

    assert problems(findings) == ["database"]
    assert expected in findings[0].detail


async def test_a_refused_token_is_a_problem_with_what_to_do(sqlite_url: str) -> None:
    api = FakeBotApi()
    api.fail_next("getMe", 401, "Unauthorized")

    findings = await diagnose(settings(sqlite_url), request=api)

    assert problems(findings) == ["Bot API"]
    assert findings[1].detail == "Telegram refused the token: copy it again from @BotFather"


async def test_a_username_that_is_not_the_tokens_bot_is_a_problem(sqlite_url: str) -> None:
    findings = await diagnose(settings(sqlite_url, bot_username="other_bot"), request=FakeBotApi())

    assert problems(findings) == ["Bot API"]
    assert "the token belongs to @pingxing_bot but PINGXING_BOT_USERNAME is 'other_bot'" in (
        findings[1].detail
    )


async def test_webhook_mode_without_the_webhook_registered_is_a_problem(sqlite_url: str) -> None:
    configured = settings(
        sqlite_url, webhook_url="https://bot.example.org/hook", webhook_secret="s3cret"
    )

    findings = await diagnose(configured, request=FakeBotApi())

    assert problems(findings) == ["webhook"]
    assert findings[2].detail.startswith(
        "Telegram has no webhook, not https://bot.example.org/hook: `pingxing run` registers it"
    )


def test_the_command_exits_2_naming_a_bad_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGXING_TIMEZONE", "Mars/Olympus")

    result = CliRunner().invoke(app, ["doctor"])

    assert result.exit_code == 2
    assert "PROBLEM settings: PINGXING_TIMEZONE: unknown timezone 'Mars/Olympus'" in (
        result.output
    )


def test_the_command_exits_1_when_a_check_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("PINGXING_BOT_TOKEN", raising=False)

    result = CliRunner().invoke(app, ["doctor"])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"ok      database: {sqlite_url} is reachable and migrated",
        "PROBLEM Bot API: PINGXING_BOT_TOKEN is not set: put the token from @BotFather in .env",
    ]
