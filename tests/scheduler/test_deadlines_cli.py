"""`pingxing cycle extend|reopen` and `pingxing remind`: audited, re-planned, bad input named.

Far-future years keep the deadlines ahead of the real clock the command line reads.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.models import Assessment, AuditEntry, Delivery, DeliveryState
from tests.cli.test_admin_cli import SAMPLE, query

TOWN, SECRETARY = "温店镇", "556"


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`pingxing ...` on a town with a 2099 cycle and one bound secretary (东村党支部)."""
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    for name in (
        "PINGXING_TIMEZONE",
        "PINGXING_REMINDER_TIME",
        "PINGXING_QUIET_HOURS",
        "PINGXING_BOT_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    assert invoke("org", "import", str(SAMPLE)).exit_code == 0
    granted = invoke(
        "role", "grant", "--telegram-id", SECRETARY, "--role", "secretary",
        "--org", f"{TOWN}/东村党支部",
    )  # fmt: skip
    assert granted.exit_code == 0
    opened = invoke("cycle", "open", "--town", TOWN, "--year", "2099", "--deadline", "2099-12-31")
    assert opened.exit_code == 0, opened.output
    return invoke


def states(url: str) -> dict[str, int]:
    def count(session):  # type: ignore[no-untyped-def]
        found: dict[str, int] = {}
        for state in session.scalars(select(Delivery.state)):
            found[state] = found.get(state, 0) + 1
        return found

    return query(url, count)


def test_opening_a_cycle_owes_the_bound_secretary_five_reminders_and_a_notice(
    cli, sqlite_url
) -> None:
    assert states(sqlite_url) == {DeliveryState.PENDING: 6}


def test_a_deadline_is_read_and_shown_in_the_configured_timezone(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGXING_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PINGXING_TIMEZONE", "Asia/Urumqi")  # UTC+6
    runner = CliRunner()
    assert runner.invoke(app, ["org", "import", str(SAMPLE)]).exit_code == 0

    opened = runner.invoke(
        app, ["cycle", "open", "--town", TOWN, "--year", "2099", "--deadline", "2099-12-31"]
    )
    extended = runner.invoke(
        app,
        ["cycle", "extend", "--town", TOWN, "--year", "2099", "--deadline", "2100-01-10",
         "--reason", "延期"],
    )  # fmt: skip

    def deadline(session):  # type: ignore[no-untyped-def]
        from storage.models import Cycle

        return session.scalar(select(Cycle.deadline_at))

    assert opened.exit_code == 0, opened.output
    assert "deadline 2099-12-31 24:00 Asia/Urumqi time" in opened.output
    assert extended.output.splitlines()[0] == "温店镇 2099: deadline 2100-01-10 24:00"
    assert query(sqlite_url, deadline) == datetime(2100, 1, 10, 18, 0, tzinfo=UTC)


def test_extending_cancels_the_old_reminders_owes_new_ones_and_audits_the_reason(
    cli, sqlite_url
) -> None:
    extended = cli(
        "cycle", "extend", "--town", TOWN, "--year", "2099",
        "--deadline", "2100-01-10", "--reason", "雨雪天气，延期十天",
    )  # fmt: skip

    def audit(session):  # type: ignore[no-untyped-def]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "cycle.extend")
        ).one()
        return entry.reason, entry.new["deadline_at"]

    assert extended.exit_code == 0, extended.output
    assert extended.output.splitlines() == [
        "温店镇 2099: deadline 2100-01-10 24:00",
        "reminders re-planned: 6 owed, 6 cancelled, 0 locked as overdue",
    ]
    assert states(sqlite_url) == {DeliveryState.PENDING: 6, DeliveryState.CANCELLED: 6}
    assert query(sqlite_url, audit) == (
        "雨雪天气，延期十天",
        datetime(2100, 1, 10, 16, 0, tzinfo=UTC).isoformat(),
    )


def test_reopening_a_branch_gives_it_its_own_deadline(cli, sqlite_url) -> None:
    reopened = cli(
        "cycle", "reopen", "--town", TOWN, "--year", "2099", "--branch", "东村党支部",
        "--until", "2100-01-05T18:00", "--reason", "书记住院",
    )  # fmt: skip

    def reopened_until(session):  # type: ignore[no-untyped-def]
        return session.scalar(select(Assessment.reopened_until))

    assert reopened.exit_code == 0, reopened.output
    assert (
        reopened.output.splitlines()[0] == "东村党支部 2099: takes answers until 2100-01-05 18:00"
    )
    assert query(sqlite_url, reopened_until) == datetime(2100, 1, 5, 10, 0, tzinfo=UTC)
    assert states(sqlite_url) == {DeliveryState.PENDING: 6, DeliveryState.CANCELLED: 6}


def test_remind_lists_what_is_owed_next_in_local_time(cli) -> None:
    shown = cli("remind", "--town", TOWN, "--json")

    rows = json.loads(shown.stdout)
    assert shown.exit_code == 0
    assert [(row["kind"], row["due_at"], row["days"]) for row in rows] == [
        ("reminder", "2099-12-17 09:00", 14),
        ("reminder", "2099-12-24 09:00", 7),
        ("reminder", "2099-12-28 09:00", 3),
        ("reminder", "2099-12-30 09:00", 1),
        ("reminder", "2099-12-31 09:00", 0),
        ("overdue", "2100-01-01 09:00", None),
    ]


def test_remind_prints_one_line_a_message_with_the_days_before_the_deadline(cli) -> None:
    shown = cli("remind", "--town", TOWN)

    assert (shown.exit_code, shown.stdout.splitlines()) == (
        0,
        [
            "2099-12-17 09:00\treminder\tto 556\t14 days before",
            "2099-12-24 09:00\treminder\tto 556\t7 days before",
            "2099-12-28 09:00\treminder\tto 556\t3 days before",
            "2099-12-30 09:00\treminder\tto 556\t1 day before",
            "2099-12-31 09:00\treminder\tto 556\ton the last day",
            "2100-01-01 09:00\toverdue\tto 556",
        ],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("cycle", "extend", "--town", TOWN, "--year", "2099", "--deadline", "2100-02-30",
             "--reason", "x"),
            "--deadline: deadline must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (local time), "
            "got '2100-02-30'",
        ),
        (
            ("cycle", "extend", "--town", TOWN, "--year", "2099", "--deadline", "2099-12-31",
             "--reason", "x"),
            "--deadline 2099-12-31 24:00: that is already the deadline",
        ),
        (
            ("cycle", "extend", "--town", TOWN, "--year", "2099", "--deadline", "2100-01-10",
             "--reason", "  "),
            "--reason must say why (it is kept in the audit trail)",
        ),
        (
            ("cycle", "extend", "--town", TOWN, "--year", "2098", "--deadline", "2100-01-10",
             "--reason", "x"),
            "town 温店镇 has no 2098 cycle (pingxing cycle open)",
        ),
        (
            ("cycle", "reopen", "--town", TOWN, "--year", "2099", "--branch", "北村党支部",
             "--until", "2100-01-05", "--reason", "x"),
            "--branch: town 温店镇 has no branch '北村党支部'",
        ),
        (
            ("cycle", "reopen", "--town", TOWN, "--year", "2099", "--branch", "东村党支部",
             "--until", "2099-12-20", "--reason", "x"),
            "--until 2099-12-20 24:00: that is not after the cycle's deadline; to move every "
            "branch's, use pingxing cycle extend",
        ),
        (
            ("cycle", "reopen", "--town", TOWN, "--year", "2099", "--branch", "东村党支部",
             "--until", "2020-01-05", "--reason", "x"),
            "--until 2020-01-05 24:00: that time has already passed",
        ),
        (
            ("remind", "--town", TOWN, "--send-now"),
            "--send-now sends through Telegram: set PINGXING_BOT_TOKEN",
        ),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_problem_and_changes_nothing(
    cli, sqlite_url, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)

    assert (result.exit_code, result.stderr.strip()[: len(message)]) == (2, message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert states(sqlite_url) == {DeliveryState.PENDING: 6}


async def test_send_now_sends_what_is_due_through_the_sweep(town) -> None:  # type: ignore[no-untyped-def]
    from bot.cli.deadline_commands import send_due_now
    from bot.settings import Settings
    from storage.repositories.reminders import plan_deliveries
    from tests.handlers.conftest import NOW
    from tests.scheduler.deadline_town import SCHEDULE

    first_reminder = datetime(2026, 12, 17, 1, 0, tzinfo=UTC)
    await town.run(lambda session: plan_deliveries(session, SCHEDULE, NOW))
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    report = await send_due_now(
        town.database, town.harness.app.bot, settings, now=lambda: first_reminder
    )

    assert dict(report.outcomes) == {DeliveryState.SENT: 3}
    sent = await town.deliveries(state=DeliveryState.SENT)
    assert sorted(row.recipient_telegram_id for row in sent) == [1001, 1003, 2001]
