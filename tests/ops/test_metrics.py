"""`GET /metrics`: Prometheus' text with the updates, the unit of work, deliveries and 429s."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram.error import RetryAfter

from bot.offline import FakeUser
from storage.models import DeliveryKind
from storage.repositories import owe_delivery
from tests.ops.conftest import Webhook


def metric_lines(text: str) -> dict[str, str]:
    """Each sample line of the exposition as {name with labels: value}."""
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    return {name: value for name, value in samples}


async def test_metrics_count_updates_latency_deliveries_and_429s(
    webhook: Webhook, secretary: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB warns about RetryAfter's type unless the program opts in to its next one.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await webhook.start(secretary)
    await webhook.post(webhook.updates.message(secretary, "/help"), secret="forged")
    due = datetime(2026, 12, 20, 1, 0, tzinfo=UTC)
    for recipient in (1001, 1002):
        await webhook.database.run(
            lambda session, recipient=recipient: owe_delivery(
                session, DeliveryKind.REMINDER, recipient, "cycle-1:7d", {}, due
            )
        )
    webhook.api.fail_next("getMe", 429, retry_after=1)
    with pytest.raises(RetryAfter):
        await webhook.app.bot.get_me()

    response = await webhook.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    lines = metric_lines(response.text)
    expected = {
        "pingxing_updates_handled_total": "1.0",
        'pingxing_updates_refused_total{reason="secret"}': "1.0",
        'pingxing_updates_refused_total{reason="malformed"}': "0.0",
        "pingxing_update_seconds_count": "1.0",
        'pingxing_deliveries{state="pending"}': "2.0",
        "pingxing_telegram_429_total": "1.0",
    }
    assert {name: lines.get(name) for name in expected} == expected
    # The /start's own unit of work and the two deliveries' transactions at least.
    assert float(lines["pingxing_unit_of_work_seconds_count"]) >= 3
