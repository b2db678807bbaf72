"""`pingxing deliveries` lists a town's deliveries with the error kept, and refuses bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from storage import repositories as repo
from storage.database import open_database
from storage.models import DeliveryKind, DeliveryState

DUE = datetime(2026, 12, 24, 1, 0, tzinfo=UTC)


def _seed(session: Session) -> None:
    county = repo.get_or_create_county(session, "城关县")
    town = repo.get_or_create_town(session, county, "温店镇")
    other = repo.get_or_create_town(session, county, "平林镇")
    for recipient, due_key in [(1001, "c1:d7"), (1002, "c1:d7"), (1003, "c1:d7")]:
        payload = {"town_id": town.id, "cycle_id": 1}
        repo.owe_delivery(session, DeliveryKind.REMINDER, recipient, due_key, payload, DUE)
    repo.owe_delivery(session, DeliveryKind.REMINDER, 2001, "c2:d7", {"town_id": other.id}, DUE)
    ids = {d.recipient_telegram_id: d.id for d in repo.claim_due_deliveries(session, DUE, 10)}
    repo.mark_sent(session, ids[1001], DUE + timedelta(seconds=3))
    repo.end_delivery(
        session, ids[1002], DeliveryState.UNREACHABLE, "Forbidden: bot was blocked by the user"
    )
    repo.release_deliveries(session, [ids[1003]])


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs `pingxing ...` against this test's own SQLite database, seeded."""

    async def seed() -> None:
        database = await open_database(sqlite_url)
        try:
            await database.run(_seed)
        finally:
            await database.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_deliveries_lists_the_towns_own_with_state_attempts_and_error(cli: Any) -> None:
    result = cli("deliveries", "--town", "温店镇")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "1\treminder\t1001\tsent\tattempts 1\tdue 2026-12-24 09:00\tsent 2026-12-24 09:00",
        "2\treminder\t1002\tunreachable\tattempts 1\tdue 2026-12-24 09:00\tsent -"
        "\tForbidden: bot was blocked by the user",
        "3\treminder\t1003\tpending\tattempts 0\tdue 2026-12-24 09:00\tsent -",
    ]


def test_deliveries_filters_by_state_and_prints_json(cli: Any) -> None:
    result = cli("deliveries", "--town", "温店镇", "--state", "unreachable", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {
            "id": 2,
            "kind": "reminder",
            "recipient": 1002,
            "due_key": "c1:d7",
            "state": "unreachable",
            "attempts": 1,
            "due_at": "2026-12-24T01:00:00+00:00",
            "sent_at": None,
            "last_error": "Forbidden: bot was blocked by the user",
        }
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--town", "温店镇", "--state", "lost"],
            "--state must be one of pending, sending, sent, failed_permanent, unknown, "
            "unreachable, cancelled, expired; got 'lost'",
        ),
        (
            ["--town", "无此镇"],
            "no town '无此镇'; import the organisation list first (pingxing org import)",
        ),
    ],
)
def test_deliveries_refuses_bad_input_with_one_line_and_status_2(
    cli: Any, args: list[str], expected: str
) -> None:
    result = cli("deliveries", *args)
    assert (result.exit_code, result.stderr.splitlines()) == (2, [expected])


def test_deliveries_says_so_when_there_are_none(cli: Any) -> None:
    result = cli("deliveries", "--town", "平林镇", "--state", "sent")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        "no deliveries in state sent\n",
    )
