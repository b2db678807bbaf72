"""The admin command line run against each test's own SQLite database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Runs `pingxing ...` against this test's own SQLite database."""
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("PINGXING_BOT_USERNAME", raising=False)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return invoke
