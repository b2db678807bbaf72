"""Webhook mode: the secret, processing before the answer, re-deliveries, /healthz, /metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.offline import FakeUser
from bot.server.health import check_database
from storage.database import create_database
from storage.models import Invite, ProcessedUpdate
from tests.ops.conftest import SECRET, WEBHOOK_URL, Webhook


async def redeemed_invites(webhook: Webhook) -> list[int | None]:
    """Who redeemed each invite, in id order (None: not redeemed)."""
    statement = select(Invite.redeemed_by).order_by(Invite.id)
    return await webhook.database.run(lambda session: list(session.scalars(statement)))


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret", SECRET[:-1], SECRET + "x", SECRET.upper()],
    ids=["missing", "empty", "wrong", "prefix", "longer", "other-case"],
)
async def test_a_request_without_the_right_secret_gets_403_and_reaches_no_handler(
    webhook: Webhook, secretary: FakeUser, secret: str | None
) -> None:
    update = webhook.updates.message(secretary, f"/start {webhook.seed.codes['东村党支部']}")

    response = await webhook.post(update, secret=secret)

    assert response.status_code == 403
    assert webhook.sent_to(secretary) == []
    assert await redeemed_invites(webhook) == [None, None, None]
    processed = await webhook.database.run(
        lambda session: list(session.scalars(select(ProcessedUpdate.update_id)))
    )
    assert processed == []
    assert webhook.metrics.updates_refused.labels("secret")._value.get() == 1
    assert webhook.metrics.updates_handled._value.get() == 0


async def test_the_webhook_is_registered_with_its_secret_at_start(webhook: Webhook) -> None:
    calls = [call.params for call in webhook.api.calls_to("setWebhook")]

    registered = [(call["url"], call["secret_token"], call["max_connections"]) for call in calls]
    assert registered == [(WEBHOOK_URL, SECRET, 100)]


async def test_an_update_is_processed_and_replied_to_before_the_answer_200(
    webhook: Webhook, secretary: FakeUser
) -> None:
    response = await webhook.start(secretary)

    assert response.status_code == 200
    bound = await redeemed_invites(webhook)
    assert bound[0] is not None
    assert len(webhook.sent_to(secretary)) == 1
    assert webhook.metrics.updates_handled._value.get() == 1


async def test_a_replayed_update_is_acknowledged_and_changes_nothing(
    webhook: Webhook, secretary: FakeUser
) -> None:
    first = webhook.updates.message(secretary, f"/start {webhook.seed.codes['东村党支部']}")
    await webhook.post(first)
    replies_before = webhook.sent_to(secretary)
    invites_before = await redeemed_invites(webhook)

    again = await webhook.post(webhook.updates.re_deliver(first))

    assert again.status_code == 200
    assert webhook.sent_to(secretary) == replies_before
    assert await redeemed_invites(webhook) == invites_before


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"update_id": "x"}', b"null"])
async def test_a_body_that_is_no_update_gets_400_even_with_the_secret(
    webhook: Webhook, body: bytes
) -> None:
    response = await webhook.client.post(
        "/telegram/hook", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )

    assert response.status_code == 400
    assert webhook.metrics.updates_refused.labels("malformed")._value.get() == 1


async def test_healthz_answers_200_on_a_reachable_migrated_database(webhook: Webhook) -> None:
    response = await webhook.client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["migrations"]) == ("ok", "reachable", "current")
    assert body["revision"] == body["expected"]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "no-such-directory/pingxing.sqlite3",
            {"status": "unavailable", "database": "unreachable", "migrations": None},
        ),
        (
            "empty.sqlite3",
            {"status": "unavailable", "database": "reachable", "migrations": "not current"},
        ),
    ],
    ids=["unreachable", "not-migrated"],
)
async def test_healthz_answers_503_saying_what_is_wrong_with_the_database(
    webhook: Webhook, tmp_path: Path, file: str, expected: dict[str, str | None]
) -> None:
    broken = create_database(f"sqlite:///{tmp_path}/{file}")
    working, webhook.app.bot_data.database = webhook.app.bot_data.database, broken
    try:
        response = await webhook.client.get("/healthz")
    finally:
        webhook.app.bot_data.database = working
        await broken.dispose()

    body = response.json()
    assert response.status_code == 503
    assert {key: body[key] for key in expected} == expected
    assert body["revision"] == []


async def test_check_database_names_the_error_of_an_unreachable_database(tmp_path: Path) -> None:
    unreachable = create_database(f"sqlite:///{tmp_path}/missing/pingxing.sqlite3")
    try:
        health = await check_database(unreachable)
    finally:
        await unreachable.dispose()

    assert health.healthy is False
    assert health.error is not None
    assert "No such file or directory" in health.error
