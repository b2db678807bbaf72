"""The webhook's settings: a secret is required, its shape and the listen address are checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings

URL = "https://bot.example.org/telegram/hook"


def settings(**values: Any) -> Settings:
    """Settings from `values` alone, never the developer's `.env`."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_a_webhook_url_without_a_secret_is_refused_with_the_variable_named() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(webhook_url=URL)

    assert "PINGXING_WEBHOOK_SECRET is required when PINGXING_WEBHOOK_URL is set" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"webhook_url": URL, "webhook_secret": "has space"}, "1 to 256 characters"),
        ({"webhook_url": URL, "webhook_secret": "x" * 257}, "1 to 256 characters"),
        ({"webhook_url": "ftp://host/x", "webhook_secret": "ok"}, "not an http(s) URL"),
        ({"listen": "8080"}, "expected host:port"),
        ({"listen": "0.0.0.0:99999"}, "expected host:port"),
    ],
)
def test_bad_webhook_settings_are_refused_naming_what_is_wrong(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**values)

    assert message in str(caught.value)


def test_the_server_listens_where_told_and_serves_the_urls_path() -> None:
    configured = settings(webhook_url=URL, webhook_secret="s3cret", listen="[::1]:8443")

    actual = (configured.listen_host, configured.listen_port, configured.webhook_path)

    assert actual == ("::1", 8443, "/telegram/hook")


def test_without_a_webhook_url_the_bot_polls_and_needs_no_secret() -> None:
    configured = settings()

    assert (configured.webhook_url, configured.webhook_secret) == (None, None)


@pytest.mark.parametrize("command", [["run"], ["doctor"], ["remind", "--town", "温店镇"]])
def test_a_bad_setting_is_one_line_naming_the_variable_and_never_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINGXING_WEBHOOK_URL", URL)
    monkeypatch.setenv("PINGXING_WEBHOOK_SECRET", "almost-right secret")
    monkeypatch.setenv("PINGXING_SEND_RATE", "40")

    result = CliRunner().invoke(app, command)

    problems = [line for line in result.stderr.splitlines() if "PINGXING_" in line]
    assert result.exit_code == 2
    assert "almost-right secret" not in result.output
    assert sorted(line[line.index("PINGXING_") :] for line in problems) == [
        "PINGXING_SEND_RATE: Input should be less than or equal to 30",
        "PINGXING_WEBHOOK_SECRET: use 1 to 256 characters of A-Z, a-z, 0-9, _ and -",
    ]
