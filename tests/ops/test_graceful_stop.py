"""A stop during a reminder round: sends begun finish, the rest goes back to pending."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.app import build_application
from bot.offline import FakeBotApi
from bot.server.metrics import Metrics
from bot.server.offline_instance import send_every_kind_plainly
from bot.server.webhook import running
from handlers.context import utc_now
from handlers.sending import SendPacer
from storage.database import Database
from storage.models import Delivery, DeliveryKind
from storage.repositories import owe_delivery
from tests.handlers.conftest import offline_settings

RECIPIENTS = range(3001, 3041)
RATE = 20


async def owe_round(database: Database) -> None:
    """A reminder owed to each of RECIPIENTS, due now."""
    due = utc_now() - timedelta(seconds=1)

    def owe(session: object) -> None:
        for recipient in RECIPIENTS:
            owe_delivery(session, DeliveryKind.REMINDER, recipient, "round-1", {}, due)  # type: ignore[arg-type]

    await database.run(owe)


async def test_a_stop_mid_round_finishes_the_sends_begun_and_hands_back_the_rest(
    database: Database,
) -> None:
    await owe_round(database)
    api = FakeBotApi()
    # No quiet hours: the test sends at whatever hour it runs.
    settings = offline_settings().model_copy(update={"sweep_seconds": 0.05, "quiet_hours": "off"})
    app = build_application(settings, request=api, database=database)
    send_every_kind_plainly(app)
    app.bot_data.send_pacer = SendPacer(RATE)

    async with running(app, metrics=Metrics()):
        while len(api.calls_to("sendMessage")) < 5:
            await asyncio.sleep(0.01)
    # `running` has stopped the Application as SIGTERM would.

    states = await database.run(
        lambda session: {
            recipient: state
            for recipient, state in session.execute(
                select(Delivery.recipient_telegram_id, Delivery.state)
            )
        }
    )
    sent_to = Counter(call.params["chat_id"] for call in api.calls_to("sendMessage"))
    assert set(sent_to.values()) == {1}
    assert {chat for chat, state in states.items() if state == "sent"} == set(sent_to)
    assert Counter(states.values()) == {"sent": len(sent_to), "pending": 40 - len(sent_to)}
    # Stopped mid-round: at RATE a second, 40 messages take two seconds.
    assert 5 <= len(sent_to) < 40
