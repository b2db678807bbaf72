"""Processed updates are recorded once; deliveries are owed once and claimed once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import repositories as repo
from storage.models import Delivery, DeliveryKind, DeliveryState
from tests.storage.seed import NOW


async def test_an_update_id_is_new_only_the_first_time(database) -> None:
    def first_transaction(session: Session) -> Any:
        first = repo.mark_update_processed(session, 900_000_000_001, NOW)
        again = repo.mark_update_processed(session, 900_000_000_001, NOW)
        other = repo.mark_update_processed(session, 900_000_000_002, NOW)
        return first, again, other

    first, again, other = await database.run(first_transaction)
    assert (first, again, other) == (True, False, True)


async def test_the_last_processed_update_id_is_the_highest_one_recorded(database) -> None:
    def first_transaction(session: Session) -> Any:
        before = repo.last_processed_update_id(session)
        repo.mark_update_processed(session, 900_000_000_007, NOW)
        repo.mark_update_processed(session, 12, NOW)
        return before, repo.last_processed_update_id(session)

    assert await database.run(first_transaction) == (None, 900_000_000_007)


class HandlerFailed(Exception):
    """Stands for any error inside a handler's transaction."""


async def test_a_rolled_back_handler_leaves_its_update_unprocessed(database) -> None:
    try:

        def first_transaction(session: Session) -> Any:
            repo.mark_update_processed(session, 7, NOW)
            raise HandlerFailed

        await database.run(first_transaction)
    except HandlerFailed:
        pass

    def second_transaction(session: Session) -> Any:
        assert repo.mark_update_processed(session, 7, NOW) is True

    await database.run(second_transaction)


async def test_old_update_ids_are_pruned(database) -> None:
    def first_transaction(session: Session) -> Any:
        repo.mark_update_processed(session, 1, NOW - timedelta(days=3))
        repo.mark_update_processed(session, 2, NOW)
        pruned = repo.prune_processed_updates(session, NOW - timedelta(days=1))
        again = repo.mark_update_processed(session, 1, NOW)
        return pruned, again

    pruned, again = await database.run(first_transaction)
    assert (pruned, again) == (1, True)


async def test_owing_the_same_message_twice_owes_it_once(database) -> None:
    def first_transaction(session: Session) -> Any:
        owed = [
            repo.owe_delivery(session, kind, 1001, key, {"days": 3}, NOW)
            for kind, key in [
                (DeliveryKind.REMINDER, "cycle:1:d3"),
                (DeliveryKind.REMINDER, "cycle:1:d3"),
                (DeliveryKind.REMINDER, "cycle:1:d1"),
                (DeliveryKind.RESULT, "cycle:1:d3"),
            ]
        ]
        return owed

    owed = await database.run(first_transaction)
    assert owed == [True, False, True, True]


async def test_only_due_pending_deliveries_are_claimed_oldest_first(database) -> None:
    def first_transaction(session: Session) -> Any:
        for key, minutes in [("late", 5), ("b", -1), ("a", -10), ("c", 0)]:
            repo.owe_delivery(
                session, DeliveryKind.REMINDER, 1, key, {}, NOW + timedelta(minutes=minutes)
            )

    await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        claimed = repo.claim_due_deliveries(session, NOW, limit=2)
        return claimed

    claimed = await database.run(second_transaction)

    def third_transaction(session: Session) -> Any:
        rest = repo.claim_due_deliveries(session, NOW, limit=10)
        return rest

    rest = await database.run(third_transaction)
    assert [(d.due_key, d.state, d.attempts, d.claimed_at) for d in claimed] == [
        ("a", DeliveryState.SENDING, 1, NOW),
        ("b", DeliveryState.SENDING, 1, NOW),
    ]
    assert [delivery.due_key for delivery in rest] == ["c"]


async def test_concurrent_senders_never_claim_the_same_delivery(database) -> None:
    def first_transaction(session: Session) -> Any:
        for number in range(30):
            repo.owe_delivery(session, DeliveryKind.REMINDER, number, "k", {}, NOW)

    await database.run(first_transaction)

    def send(session: Session) -> list[int]:
        return [d.id for d in repo.claim_due_deliveries(session, NOW, limit=4)]

    batches = await asyncio.gather(*(database.run(send) for _ in range(10)))
    claimed = [delivery_id for batch in batches for delivery_id in batch]
    assert (len(claimed), len(set(claimed))) == (30, 30)


async def test_a_failure_is_retried_or_given_up_and_a_crash_becomes_unknown(database) -> None:
    retry_at = NOW + timedelta(minutes=5)

    def first_transaction(session: Session) -> Any:
        for key in ["retry", "give_up", "sent", "crashed"]:
            repo.owe_delivery(session, DeliveryKind.RESULT, 1, key, {}, NOW)
        ids = {d.due_key: d.id for d in repo.claim_due_deliveries(session, NOW, 10)}
        repo.mark_failed(session, ids["retry"], "429 Too Many Requests", retry_at)
        repo.mark_failed(session, ids["give_up"], "403 Forbidden: bot was blocked")
        repo.mark_sent(session, ids["sent"], NOW)
        stale = repo.expire_stale_sendings(session, NOW + timedelta(minutes=1))
        return stale

    stale = await database.run(first_transaction)

    def second_transaction(session: Session) -> Any:
        too_early = repo.claim_due_deliveries(session, NOW, 10)
        retried = repo.claim_due_deliveries(session, retry_at, 10)
        return too_early, retried

    too_early, retried = await database.run(second_transaction)
    assert stale == 1
    assert too_early == []
    assert [(d.due_key, d.attempts, d.last_error) for d in retried] == [
        ("retry", 2, "429 Too Many Requests")
    ]


async def test_a_delivery_ends_in_the_state_given_with_its_error(database) -> None:
    def first_transaction(session: Session) -> Any:
        for recipient in (1, 2):
            repo.owe_delivery(session, DeliveryKind.REMINDER, recipient, "k", {}, NOW)
        ids = [d.id for d in repo.claim_due_deliveries(session, NOW, 10)]
        repo.end_delivery(session, ids[0], DeliveryState.UNREACHABLE, "Forbidden: blocked")
        repo.end_delivery(session, ids[1], DeliveryState.CANCELLED)
        with pytest.raises(ValueError, match="not an end state for end_delivery: 'pending'"):
            repo.end_delivery(session, ids[1], DeliveryState.PENDING)
        with pytest.raises(LookupError, match="no delivery 999"):
            repo.end_delivery(session, 999, DeliveryState.EXPIRED)
        again = repo.claim_due_deliveries(session, NOW + timedelta(days=1), 10)
        return [(d.state, d.last_error) for d in session.scalars(select(Delivery))], again

    rows, again = await database.run(first_transaction)
    assert sorted(rows) == [("cancelled", None), ("unreachable", "Forbidden: blocked")]
    assert again == []


async def test_released_claims_go_back_to_pending_as_if_never_claimed(database) -> None:
    def first_transaction(session: Session) -> Any:
        for recipient in (1, 2, 3):
            repo.owe_delivery(session, DeliveryKind.RESULT, recipient, "k", {}, NOW)
        ids = [d.id for d in repo.claim_due_deliveries(session, NOW, 10)]
        repo.mark_sent(session, ids[0], NOW)
        released = repo.release_deliveries(session, ids)
        nothing = repo.release_deliveries(session, [])
        reclaimed = repo.claim_due_deliveries(session, NOW, 10)
        return released, nothing, [(d.recipient_telegram_id, d.attempts) for d in reclaimed]

    released, nothing, reclaimed = await database.run(first_transaction)
    assert (released, nothing, reclaimed) == (2, 0, [(2, 1), (3, 1)])


async def test_a_towns_deliveries_are_found_by_the_town_in_their_payload(database) -> None:
    def first_transaction(session: Session) -> Any:
        for recipient, town_id, minutes in [(1, 7, 5), (2, 8, 0), (3, 7, 0), (4, None, 0)]:
            payload = {} if town_id is None else {"town_id": town_id}
            due_at = NOW + timedelta(minutes=minutes)
            repo.owe_delivery(session, DeliveryKind.DIGEST, recipient, "k", payload, due_at)
        (claimed,) = repo.claim_due_deliveries(session, NOW, 1)
        repo.mark_sent(session, claimed.id, NOW)
        every = repo.deliveries_of_town(session, 7)
        sent = repo.deliveries_of_town(session, 7, DeliveryState.SENT)
        return [d.recipient_telegram_id for d in every], [d.recipient_telegram_id for d in sent]

    every, sent = await database.run(first_transaction)
    assert (every, sent) == ([3, 1], [])
