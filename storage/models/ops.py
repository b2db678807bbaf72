"""The bot's bookkeeping: the audit trail, messages owed, and updates already handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

__all__ = ["AuditEntry", "Delivery", "ProcessedUpdate"]


class AuditEntry(Base):
    """Who changed what, from which value to which, why and when.

    The county holds towns to account for arbitrary ratings, so this is product data.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Delivery(Base):
    """A message owed to someone; the unique key means nothing is owed twice."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("kind", "recipient_telegram_id", "due_key"),
        Index("ix_delivery_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient_telegram_id: Mapped[int] = mapped_column(BigInteger)
    due_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class ProcessedUpdate(Base):
    """A Telegram update id already handled; a re-delivered update then changes nothing."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime]
