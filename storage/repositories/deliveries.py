"""Messages owed (reminders, digests, results) and their sending state.

pending → sending → sent, or one of the ends of `DeliveryState`; a failed send may go back to
pending with a later `due_at` for a retry. A delivery left in `sending` by a crash becomes
`unknown`: Telegram may or may not have shown it, and sending it again could remind someone
twice. Every payload names its town (`"town_id"`), which is how a town lists its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Delivery, DeliveryKind, DeliveryState
from storage.repositories._dialect import insert_for
from storage.repositories.audit import jsonable

__all__ = [
    "ENDED_STATES",
    "claim_due_deliveries",
    "deliveries_of_town",
    "end_delivery",
    "expire_stale_sendings",
    "mark_failed",
    "mark_sent",
    "owe_delivery",
    "release_deliveries",
]

# States a delivery never leaves (the sweep neither claims nor retries them).
ENDED_STATES = frozenset(
    {
        DeliveryState.SENT,
        DeliveryState.FAILED_PERMANENT,
        DeliveryState.UNKNOWN,
        DeliveryState.UNREACHABLE,
        DeliveryState.CANCELLED,
        DeliveryState.EXPIRED,
    }
)


def owe_delivery(
    session: Session,
    kind: DeliveryKind,
    recipient_telegram_id: int,
    due_key: str,
    payload: dict[str, Any],
    due_at: datetime,
) -> bool:
    """Records a message owed; False when the same (kind, recipient, due key) already is."""
    statement = (
        insert_for(session, Delivery)
        .values(
            kind=kind,
            recipient_telegram_id=recipient_telegram_id,
            due_key=due_key,
            payload=jsonable(payload),
            state=DeliveryState.PENDING,
            attempts=0,
            due_at=due_at,
        )
        .on_conflict_do_nothing(index_elements=["kind", "recipient_telegram_id", "due_key"])
        .returning(Delivery.id)
    )
    return session.scalar(statement) is not None


def claim_due_deliveries(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Moves up to `limit` due pending deliveries to `sending` and returns them, oldest first.

    One statement. On PostgreSQL the inner SELECT skips rows another sender has locked
    (`FOR UPDATE SKIP LOCKED`); on SQLite the `BEGIN IMMEDIATE` write lock serialises senders.
    Each claim counts as an attempt.
    """
    due = (
        select(Delivery.id)
        .where(Delivery.state == DeliveryState.PENDING, Delivery.due_at <= now)
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(due))
        .values(state=DeliveryState.SENDING, claimed_at=now, attempts=Delivery.attempts + 1)
        .returning(Delivery)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(claimed.all(), key=lambda delivery: (delivery.due_at, delivery.id))


def mark_sent(session: Session, delivery_id: int, now: datetime) -> None:
    """Records that Telegram accepted the message."""
    _set_state(session, delivery_id, state=DeliveryState.SENT, sent_at=now)


def mark_failed(
    session: Session,
    delivery_id: int,
    error: str,
    retry_at: datetime | None = None,
) -> None:
    """Records a failed send: retried at `retry_at`, or given up when it is None."""
    if retry_at is None:
        _set_state(session, delivery_id, state=DeliveryState.FAILED_PERMANENT, last_error=error)
    else:
        _set_state(
            session,
            delivery_id,
            state=DeliveryState.PENDING,
            last_error=error,
            due_at=retry_at,
            claimed_at=None,
        )


def end_delivery(
    session: Session, delivery_id: int, state: DeliveryState, error: str | None = None
) -> None:
    """Moves a delivery to an end state other than `sent`, keeping `error` when given.

    Raises:
        ValueError: `state` is not an end state, or is `sent` (use `mark_sent`).
    """
    if state not in ENDED_STATES or state == DeliveryState.SENT:
        raise ValueError(f"not an end state for end_delivery: {str(state)!r}")
    values: dict[str, Any] = {"state": state}
    if error is not None:
        values["last_error"] = error
    _set_state(session, delivery_id, **values)


def release_deliveries(session: Session, delivery_ids: Iterable[int]) -> int:
    """Hands claimed deliveries that were never sent back to `pending`, their claim undone.

    For a sweep that stops before sending everything it claimed (shutdown): the rows go out
    on the next sweep instead of becoming `unknown`.
    """
    ids = list(delivery_ids)
    if not ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.state == DeliveryState.SENDING)
        .values(state=DeliveryState.PENDING, claimed_at=None, attempts=Delivery.attempts - 1)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def expire_stale_sendings(session: Session, claimed_before: datetime) -> int:
    """Marks deliveries stuck in `sending` since before `claimed_before` as `unknown`."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.state == DeliveryState.SENDING, Delivery.claimed_at < claimed_before)
        .values(state=DeliveryState.UNKNOWN)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return len(result.all())


def deliveries_of_town(
    session: Session, town_id: int, state: DeliveryState | None = None
) -> list[Delivery]:
    """A town's deliveries (by the payload's `town_id`), optionally in one state, by due time."""
    statement = select(Delivery).where(Delivery.payload["town_id"].as_integer() == town_id)
    if state is not None:
        statement = statement.where(Delivery.state == state)
    return list(session.scalars(statement.order_by(Delivery.due_at, Delivery.id)))


def _set_state(session: Session, delivery_id: int, **values: Any) -> None:
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(**values)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    if result.one_or_none() is None:
        raise LookupError(f"no delivery {delivery_id}")
