"""Telegram update ids already handled, so a re-delivered update changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import ProcessedUpdate
from storage.repositories._dialect import dialect_name, per_dialect, table_of

__all__ = ["last_processed_update_id", "mark_update_processed", "prune_processed_updates"]

_PROCESSED = table_of(ProcessedUpdate)
# Every update starts with this statement (built once: see `_dialect`).
_MARK = per_dialect(
    lambda insert: (
        insert(_PROCESSED)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_PROCESSED.c.update_id)
    )
)


def mark_update_processed(session: Session, update_id: int, now: datetime) -> bool:
    """Records the update id; True the first time, False when it was already handled.

    Call it in the same transaction as the handler's write: if the write rolls back, so does the
    mark, and Telegram's retry is handled afresh.
    """
    inserted = session.connection().execute(
        _MARK[dialect_name(session)], {"update_id": update_id, "processed_at": now}
    )
    return inserted.first() is not None


def prune_processed_updates(session: Session, before: datetime) -> int:
    """Forgets ids handled before `before` (Telegram stops retrying within a day)."""
    result = session.execute(
        delete(ProcessedUpdate)
        .where(ProcessedUpdate.processed_at < before)
        .returning(ProcessedUpdate.update_id)
    )
    return len(result.all())


def last_processed_update_id(session: Session) -> int | None:
    """The highest update id handled and not yet pruned; None when there is none."""
    return session.scalar(select(func.max(ProcessedUpdate.update_id)))
