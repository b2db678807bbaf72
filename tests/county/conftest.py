"""The command line run against each backend's test database, a fresh connection per command.

Every `pingxing` command opens its own `Database` (as a new process would), so a test that
runs the procedure command by command also restarts between every step.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.database import Database, create_database
from tests.conftest import postgres_database
from tests.handlers.conftest import bot  # noqa: F401 (the bot harness, used by the bot tests)


@pytest.fixture
def cli(
    database: Database, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Runs `pingxing ...` on the test's database; each command opens it anew."""

    def reopen() -> Database:
        if database.dialect == "postgresql":
            return postgres_database(request.getfixturevalue("postgres_schema"))
        return create_database(database.url)

    async def open_database(url: str | None = None, **options: Any) -> Database:
        return reopen()

    monkeypatch.setattr("storage.database.open_database", open_database)
    monkeypatch.delenv("PINGXING_DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        # A command runs its own event loop; the test's loop is running, so use a thread.
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(runner.invoke, app, list(args)).result()

    return invoke
