"""Webhook mode's start and stop as a process sees them: a rejected token, SIGTERM mid-round."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.offline import FakeBotApi
from bot.polling import EXIT_TOKEN_REJECTED, TOKEN_REJECTED_LINE
from bot.server.offline_group import Instances
from bot.server.webhook import serve_webhook
from bot.settings import Settings
from storage.database import create_database
from storage.models import Delivery, DeliveryKind
from storage.repositories import owe_delivery

TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
ROUND = range(80_001, 80_101)


def test_a_token_rejected_at_start_ends_webhook_mode_with_one_line_and_status_2(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    api = FakeBotApi()
    api.fail_next("getMe", 401, "Unauthorized")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=sqlite_url,
        bot_token=TOKEN,
        webhook_url="https://bot.example.org/hook",
        webhook_secret="s3cret",
        listen="127.0.0.1:9",
    )

    status = serve_webhook(settings, request=api)

    assert status == EXIT_TOKEN_REJECTED
    assert capsys.readouterr().err.endswith(TOKEN_REJECTED_LINE + "\n")
    assert api.calls_to("setWebhook") == []


def owe_round(session: Session) -> None:
    """A reminder owed to every recipient of ROUND, due already."""
    due = datetime.now(UTC) - timedelta(seconds=1)
    for recipient in ROUND:
        owe_delivery(session, DeliveryKind.REMINDER, recipient, "round-1", {}, due)


def states(session: Session) -> dict[int, str]:
    """Each recipient's delivery state."""
    rows = session.execute(select(Delivery.recipient_telegram_id, Delivery.state))
    return {recipient: state for recipient, state in rows}


async def test_sigterm_mid_round_finishes_the_sends_begun_and_exits_0(
    sqlite_url: str, tmp_path: Path
) -> None:
    database = create_database(sqlite_url)
    await database.run(owe_round)
    instances = Instances(
        sqlite_url,
        tmp_path,
        environment={
            "PINGXING_SEND_RATE": "10",
            "PINGXING_SWEEP_SECONDS": "0.1",
            "PINGXING_QUIET_HOURS": "off",
        },
        options=["--plain-deliveries"],
    )
    try:
        await instances.start(1)
        for _ in range(600):
            if Counter((await database.run(states)).values())["sent"] >= 5:
                break
            await asyncio.sleep(0.05)
    finally:
        statuses = await instances.stop()
    try:
        after = await database.run(states)
    finally:
        await database.dispose()

    sent_to = Counter(
        call["params"]["chat_id"]
        for call in instances.running[0].calls()
        if call["method"] == "sendMessage"
    )
    assert statuses == [0]
    assert set(sent_to.values()) == {1}
    assert {recipient for recipient, state in after.items() if state == "sent"} == set(sent_to)
    assert Counter(after.values()) == {"sent": len(sent_to), "pending": len(ROUND) - len(sent_to)}
    assert 5 <= len(sent_to) < len(ROUND)
